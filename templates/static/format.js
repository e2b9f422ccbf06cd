/* ZB.format: how figures, statuses and names are written, by the rules of
   generator/site/formats.py. Its constants (dash, "(no model)", id length,
   statuses, success badges) come from the page's #format-rules, written from
   that module; tests/test_formats.py runs both over the same values. A half
   rounds away from zero (toFixed's rule); no locale is used. */
(function () {
  'use strict';
  var ZB = (window.ZB = window.ZB || {});
  var rules = null;

  function rule(name) {
    if (!rules) {
      var el = document.getElementById('format-rules');
      if (!el) throw new Error('format.js needs the page to hold #format-rules');
      rules = JSON.parse(el.textContent);
    }
    return rules[name];
  }

  function finite(v) { return typeof v === 'number' && isFinite(v); }

  // v with `digits` decimals, no separators, never "-0.00".
  function fixed(v, digits) {
    var a = Math.abs(v);
    // toFixed writes 1e21 and above in exponent form; such floats are whole numbers.
    var text = a < 1e21 ? a.toFixed(digits) : BigInt(a).toString() + (digits ? '.' + '0'.repeat(digits) : '');
    return v < 0 && /[1-9]/.test(text) ? '-' + text : text;
  }

  function grouped(text) {
    var sign = text.charAt(0) === '-' ? '-' : '';
    var parts = text.slice(sign.length).split('.');
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return sign + whole + (parts.length > 1 ? '.' + parts[1] : '');
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  var F = (ZB.format = {});

  F.rule = rule; // a constant of formats.RULES, e.g. the "few runs" mark

  F.number = function (v, digits) {
    return finite(v) ? grouped(fixed(v, digits === undefined ? 2 : digits)) : rule('dash');
  };

  F.count = function (v) { return finite(v) ? grouped(fixed(v, 0)) : rule('dash'); };

  F.percent = function (v, digits) {
    var scaled = finite(v) ? v * 100 : NaN;
    return finite(scaled) ? grouped(fixed(scaled, digits === undefined ? 1 : digits)) + '%' : rule('dash');
  };

  // A 95% interval [low, high] of a kind ('pct' a 0–1 rate, 'num'): "71–90"; '' without one.
  F.interval = function (kind, ci) {
    if (!ci || ci.length !== 2 || !finite(ci[0]) || !finite(ci[1])) return '';
    var scale = kind === 'pct' ? 100 : 1;
    var digits = rule('intervalDigits')[kind];
    return ci.map(function (v) { return grouped(fixed(v * scale, digits)); }).join(rule('intervalJoin'));
  };

  // Whether a figure of `runs` runs carries the "few runs" mark.
  F.fewRuns = function (runs) { return finite(runs) && runs > 0 && runs < rule('fewRuns'); };

  F.cost = function (v) {
    if (!finite(v)) return rule('dash');
    return '$' + grouped(fixed(v, fixed(Math.abs(v), 4).charAt(0) === '0' ? 4 : 2));
  };

  F.duration = function (ms) {
    if (!finite(ms)) return rule('dash');
    if (ms < 0) return '-' + F.duration(-ms);
    var whole = fixed(ms, 0);
    if (Number(whole) < 1000) return whole + ' ms';
    var seconds = ms / 1000;
    var tenths = fixed(seconds, 1);
    if (Number(tenths) < 60) return tenths + ' s';
    var total = Number(fixed(seconds, 0));
    var minutes = Math.floor(total / 60);
    if (minutes < 60) return minutes + 'm ' + pad(total % 60) + 's';
    return F.count(Math.floor(minutes / 60)) + 'h ' + pad(minutes % 60) + 'm';
  };

  // Data files carry timestamps as ISO 8601 UTC (…T…Z), the form read here.
  var ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
  F.when = function (v) {
    if (v === null || v === undefined) return rule('dash');
    var s = String(v);
    return ISO.test(s) ? s.slice(0, 10) + ' ' + s.slice(11, 19) + ' UTC' : s;
  };

  F.text = function (v) { return v === null || v === undefined || v === '' ? rule('dash') : String(v); };

  F.shortId = function (v) {
    var chars = Array.from(String(v));  // characters, as Python counts them, not UTF-16 units
    var n = rule('shortId');
    return chars.length <= n ? chars.join('') : chars.slice(0, n - 1).join('') + rule('ellipsis');
  };

  F.pair = function (agent, model) {
    return model ? agent + rule('pairJoin') + model : agent + ' ' + rule('noModel');
  };

  F.statusClass = function (status) {
    return 'badge-' + (rule('statuses').indexOf(status) >= 0 ? status : rule('otherStatus'));
  };

  F.success = function (isSuccessful, status) {
    var cases = rule('success');
    var unrecorded = isSuccessful === null || isSuccessful === undefined;
    if (unrecorded && rule('failedStatuses').indexOf(status) < 0) return cases.unknown;
    return isSuccessful && status === 'completed' ? cases.successful : cases.unsuccessful;
  };

  // A change between two figures of one kind ('int', 'pct', 'cost', 'num'), signed.
  F.delta = function (kind, d) {
    if (!finite(d)) return '';
    var a = Math.abs(d);
    var text = kind === 'pct' ? F.number(a * 100, 1) + ' pts' : kind === 'int' ? F.count(a)
      : kind === 'cost' ? F.cost(a) : F.number(a, 2);
    return (d > 0 ? '+' : '−') + text;
  };

  // A figure of a kind: the column types of the tables.
  F.figure = function (kind, v) {
    if (kind === 'num') return F.number(v, 2);
    if (kind === 'int') return F.count(v);
    if (kind === 'pct') return F.percent(v);
    if (kind === 'cost') return F.cost(v);
    if (kind === 'date') return F.when(v);
    return F.text(v);
  };
})();
