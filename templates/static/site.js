/* Shared by every page: loads data files and draws the page's Plotly charts
   in the page's light or dark colours. */
(function () {
  'use strict';
  var ZB = (window.ZB = window.ZB || {});
  ZB.root = document.documentElement.getAttribute('data-root') || '';
  var loaded = {};
  var pending = {};

  // Data files are scripts calling ZB.data(name, value): <script> works from file://, fetch does not.
  ZB.data = function (name, value) { loaded[name] = value; };
  ZB.load = function (name) {
    if (!pending[name]) {
      pending[name] = new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = ZB.root + 'data/' + name + '.js';
        script.onload = function () {
          if (name in loaded) resolve(loaded[name]);
          else reject(new Error('no data in ' + name));
        };
        script.onerror = function () { reject(new Error('cannot load ' + name)); };
        document.head.appendChild(script);
      });
    }
    return pending[name];
  };

  function colours() {
    var css = getComputedStyle(document.documentElement);
    return { fg: css.getPropertyValue('--fg').trim(), grid: css.getPropertyValue('--grid').trim() };
  }

  function styled(layout) {
    var c = colours();
    var out = JSON.parse(JSON.stringify(layout || {}));
    out.paper_bgcolor = 'rgba(0,0,0,0)';
    out.plot_bgcolor = 'rgba(0,0,0,0)';
    out.font = Object.assign({}, out.font, { color: c.fg, family: 'system-ui, sans-serif' });
    out.autosize = true;
    Object.keys(out).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        out[key] = Object.assign({ gridcolor: c.grid, zerolinecolor: c.grid, linecolor: c.grid }, out[key]);
      }
    });
    ['xaxis', 'yaxis'].forEach(function (key) {
      if (!out[key]) out[key] = { gridcolor: c.grid, zerolinecolor: c.grid };
    });
    return out;
  }

  var charts = [];
  function drawCharts() {
    if (!window.Plotly) return;
    Array.prototype.forEach.call(document.querySelectorAll('[data-figure]'), function (el) {
      var source = document.getElementById(el.getAttribute('data-figure'));
      var figure = JSON.parse(source.textContent);
      charts.push({ el: el, figure: figure });
      Plotly.newPlot(el, figure.data, styled(figure.layout), { responsive: true, displaylogo: false });
    });
  }
  ZB.drawCharts = drawCharts;

  if (window.matchMedia) {
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', function () {
      charts.forEach(function (c) { Plotly.react(c.el, c.figure.data, styled(c.figure.layout)); });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawCharts);
  else drawCharts();
})();
