/* A filterable, sortable, paged table over the site's data files.
   The state lives in the URL hash (#agent=x&sort=-weightedScore&page=2), so a
   filtered view can be linked. Data is shown with textContent only. */
(function () {
  'use strict';
  var configEl = document.getElementById('table-config');
  if (!configEl) return;
  var config = JSON.parse(configEl.textContent);
  var table = document.getElementById('data-table');
  var body = table.querySelector('tbody');
  var statusEl = document.getElementById('table-status');
  var pageEl = document.getElementById('table-page');
  var form = document.getElementById('table-filters');
  var columns = Array.prototype.map.call(table.querySelectorAll('thead th'), function (th) {
    return {
      th: th, button: th.querySelector('button.sort'), key: th.dataset.sort,
      type: th.dataset.type || 'text', link: th.dataset.link,
      // A figure's 95% interval (a field of the row), where it links, and its run count.
      ci: th.dataset.ci, ciHref: th.dataset.ciHref, runs: th.dataset.runs
    };
  });
  var format = ZB.format;
  var NUMERIC = ['num', 'int', 'pct', 'cost'];
  var index = null;
  var fields = {};
  var chunks = {};
  var picked = {};
  var state = {};

  function readHash() {
    var out = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (part) {
      if (!part) return;
      var i = part.indexOf('=');
      var key = decodeURIComponent(i < 0 ? part : part.slice(0, i));
      out[key] = i < 0 ? '' : decodeURIComponent(part.slice(i + 1));
    });
    return out;
  }

  function writeHash() {
    var parts = Object.keys(state).sort().filter(function (k) { return state[k] !== ''; })
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(state[k]); });
    var hash = parts.length ? '#' + parts.join('&') : '';
    if (location.hash !== hash) {
      history.replaceState(null, '', hash || location.pathname + location.search);
    }
  }

  function chunk(n) {
    if (!chunks[n]) {
      var name = config.dataset + '/' + ('000' + n).slice(-4);
      chunks[n] = ZB.load(name).then(function (data) { return data.rows; });
    }
    return chunks[n];
  }

  function needsAll() {
    return Object.keys(state).some(function (k) { return k !== 'page' && state[k] !== ''; });
  }

  function rowsFor(page) {
    var size = config.pageSize;
    if (needsAll()) {
      var all = [];
      for (var n = 1; n <= index.chunks; n++) all.push(chunk(n));
      return Promise.all(all).then(function (parts) { return [].concat.apply([], parts); });
    }
    var first = Math.floor(((page - 1) * size) / index.chunkRows) + 1;
    var last = Math.min(index.chunks, Math.floor((page * size - 1) / index.chunkRows) + 1);
    var wanted = [];
    for (var c = first; c <= last; c++) wanted.push(chunk(c));
    return Promise.all(wanted).then(function (parts) {
      var rows = [].concat.apply([], parts);
      var offset = (first - 1) * index.chunkRows;
      return { slice: rows.slice((page - 1) * size - offset, page * size - offset), total: index.total };
    });
  }

  function value(row, key) { return row[fields[key]]; }

  function matches(row) {
    for (var i = 0; i < config.filters.length; i++) {
      var key = config.filters[i];
      if (state[key] && String(value(row, key)) !== state[key]) return false;
    }
    if (state.q) {
      var q = state.q.toLowerCase();
      return index.fields.some(function (f, i) {
        return typeof row[i] === 'string' && row[i].toLowerCase().indexOf(q) >= 0;
      });
    }
    return true;
  }

  function compare(key, desc) {
    return function (a, b) {
      var x = value(a, key), y = value(b, key);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      var r = x < y ? -1 : 1;
      return desc ? -r : r;
    };
  }

  function cell(col, row) {
    var td = document.createElement('td');
    var v = value(row, col.key);
    if (NUMERIC.indexOf(col.type) >= 0) td.className = 'num';
    if (col.type === 'link') {
      var a = document.createElement('a');
      a.href = ZB.root + col.link + value(row, 'href') + '.html';
      a.className = 'mono';
      a.textContent = format.shortId(v);
      a.title = String(v);
      td.appendChild(a);
    } else if (col.type === 'status') {
      var badge = document.createElement('span');
      badge.className = 'badge ' + format.statusClass(v);
      badge.textContent = format.text(v);
      td.appendChild(badge);
    } else if (col.type === 'check') {
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.value = value(row, 'href');
      box.checked = !!picked[box.value];
      box.setAttribute('aria-label', 'compare ' + String(value(row, 'batchId')));
      box.addEventListener('change', function () {
        if (box.checked) picked[box.value] = true; else delete picked[box.value];
        document.dispatchEvent(new CustomEvent('zb-picked', { detail: Object.keys(picked) }));
      });
      td.appendChild(box);
    } else {
      td.textContent = format.figure(col.type, v);
      if (col.ci) interval(td, col, row);
    }
    return td;
  }

  // After the figure: its interval linking to the methods page, and the "few runs" mark.
  function interval(td, col, row) {
    var shown = format.interval(col.type, value(row, col.ci));
    if (shown) {
      var a = document.createElement('a');
      a.className = 'ci';
      a.href = col.ciHref;
      a.title = format.rule('intervalTitle');
      a.textContent = '(' + shown + ')';
      td.appendChild(document.createTextNode(' '));
      td.appendChild(a);
    }
    if (col.runs && format.fewRuns(value(row, col.runs))) {
      var mark = format.rule('fewRunsMark');
      var span = document.createElement('span');
      span.className = 'few-runs';
      span.title = mark.title;
      span.textContent = mark.label;
      td.appendChild(document.createTextNode(' '));
      td.appendChild(span);
    }
  }

  function draw(rows, total, filtered) {
    var size = config.pageSize;
    var pages = Math.max(1, Math.ceil(filtered / size));
    var page = Math.min(Math.max(1, parseInt(state.page || '1', 10) || 1), pages);
    body.textContent = '';
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      columns.forEach(function (col) { tr.appendChild(cell(col, row)); });
      body.appendChild(tr);
    });
    var from = filtered ? (page - 1) * size + 1 : 0;
    var shown = from ? from + rows.length - 1 : 0;
    statusEl.textContent = 'Showing ' + format.count(from) + '–' + format.count(shown) + ' of ' +
      format.count(filtered) + (filtered !== total ? ' (filtered from ' + format.count(total) + ')' : '');
    statusEl.dataset.count = String(filtered);
    pageEl.textContent = 'page ' + format.count(page) + ' of ' + format.count(pages);
    form.parentNode.querySelector('[data-page=prev]').disabled = page <= 1;
    form.parentNode.querySelector('[data-page=next]').disabled = page >= pages;
    columns.forEach(function (col) {  // only the sorted column says how it is sorted
      var s = state.sort || '';
      var order = s === col.key ? 'ascending' : s === '-' + col.key ? 'descending' : '';
      if (order) col.th.setAttribute('aria-sort', order); else col.th.removeAttribute('aria-sort');
    });
  }

  function refresh() {
    var page = Math.max(1, parseInt(state.page || '1', 10) || 1);
    return rowsFor(page).then(function (result) {
      if (!Array.isArray(result)) return draw(result.slice, index.total, index.total);
      var rows = result.filter(matches);
      if (state.sort) rows.sort(compare(state.sort.replace(/^-/, ''), state.sort[0] === '-'));
      var size = config.pageSize;
      var last = Math.max(1, Math.ceil(rows.length / size));
      page = Math.min(page, last);
      draw(rows.slice((page - 1) * size, page * size), index.total, rows.length);
    }).catch(function (err) { statusEl.textContent = 'Could not load the data: ' + err.message; });
  }

  function fillFilters() {
    Array.prototype.forEach.call(form.querySelectorAll('[data-filter]'), function (input) {
      var key = input.dataset.filter;
      if (input.tagName === 'SELECT') {
        (index.options[key] || []).forEach(function (v) {
          var opt = document.createElement('option');
          opt.value = v;
          opt.textContent = v;
          input.appendChild(opt);
        });
      }
      input.value = state[key] || '';
      input.addEventListener(input.tagName === 'SELECT' ? 'change' : 'input', function () {
        state[key] = input.value;
        state.page = '';
        writeHash();
        refresh();
      });
    });
  }

  function wire() {
    columns.forEach(function (col) {
      if (!col.key || !col.button) return;
      // A button: Enter and Space press it as a click does.
      col.button.addEventListener('click', function () {
        state.sort = state.sort === col.key ? '-' + col.key : col.key;
        state.page = '';
        writeHash();
        refresh();
      });
    });
    Array.prototype.forEach.call(form.parentNode.querySelectorAll('[data-page]'), function (btn) {
      btn.addEventListener('click', function () {
        var page = parseInt(state.page || '1', 10) || 1;
        state.page = String(btn.dataset.page === 'next' ? page + 1 : Math.max(1, page - 1));
        writeHash();
        refresh();
      });
    });
    window.addEventListener('hashchange', function () {
      state = readHash();
      Array.prototype.forEach.call(form.querySelectorAll('[data-filter]'), function (input) {
        input.value = state[input.dataset.filter] || '';
      });
      refresh();
    });
  }

  state = readHash();
  ZB.load(config.dataset + '/index').then(function (data) {
    index = data;
    index.fields.forEach(function (f, i) { fields[f] = i; });
    fillFilters();
    wire();
    return refresh();
  }).catch(function (err) { statusEl.textContent = 'Could not load the data: ' + err.message; });
})();
