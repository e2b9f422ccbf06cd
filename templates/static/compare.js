/* Compares the batches named in the URL (#b=<file name>,…) from their data files.
   Deltas are against the first batch; a scenario is higher or lower (not better or worse: no test is made here) by its mean
   weighted score, else by its success rate (the read API's rules). */
(function () {
  'use strict';
  var statusEl = document.getElementById('compare-status');
  var SAME_WITHIN = 1e-9;
  var FIGURES = [
    // [key, label, format, +1 when more is better / -1 when less is / 0 neither]
    ['totalRuns', 'Runs', 'int', 0],
    ['successRate', 'Success rate', 'pct', 1],
    ['avgWeightedScoreCompleted', 'Mean weighted score /10', 'num', 1],
    ['failedRuns', 'Failed runs', 'int', -1],
    ['totalCostUsd', 'Total cost', 'cost', -1]
  ];

  var format = ZB.format;

  function delta(a, b) { return a === null || a === undefined || b === null || b === undefined ? null : a - b; }

  function change(entry, base) {
    if (!entry || !base || !entry.runs || !base.runs) return 'absent';
    var d = delta(entry.avgWeightedScoreCompleted, base.avgWeightedScoreCompleted);
    if (d === null) d = delta(entry.successRate, base.successRate);
    if (d === null) return 'unknown';
    if (Math.abs(d) <= SAME_WITHIN) return 'same';
    return d > 0 ? 'higher' : 'lower';
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function header(table, batches, first) {
    var tr = el('tr');
    tr.appendChild(el('th', first));
    batches.forEach(function (b, i) {
      var th = el('th');
      var a = el('a', format.shortId(b.batchId), 'mono');
      a.href = ZB.root + 'batches/' + b.seg + '.html';
      a.title = b.batchId;
      th.appendChild(a);
      th.appendChild(el('div', i === 0 ? 'baseline' : format.when(b.createdAt), 'muted'));
      tr.appendChild(th);
    });
    table.querySelector('thead').appendChild(tr);
  }

  function withDelta(td, text, d, type, direction) {
    td.appendChild(document.createTextNode(text));
    if (d !== null && d !== undefined && Math.abs(d) > SAME_WITHIN) {
      var good = d * direction;
      td.appendChild(el('span', ' (' + format.delta(type, d) + ')', good > 0 ? 'better' : good < 0 ? 'worse' : 'muted'));
    }
  }

  function figures(batches) {
    var table = document.getElementById('compare-figures');
    header(table, batches, 'Figure');
    var body = table.querySelector('tbody');
    FIGURES.forEach(function (f) {
      var tr = el('tr');
      tr.appendChild(el('td', f[1]));
      batches.forEach(function (b, i) {
        var td = el('td', undefined, 'num');
        withDelta(td, format.figure(f[2], b[f[0]]), i ? delta(b[f[0]], batches[0][f[0]]) : null, f[2], f[3]);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    document.getElementById('compare-summary').hidden = false;
  }

  function scenarios(batches) {
    var keys = {};
    batches.forEach(function (b, i) {
      b.scenarios.forEach(function (s) {
        var key = JSON.stringify([s.suite, s.scenario]);
        keys[key] = keys[key] || [];
        keys[key][i] = s;
      });
    });
    var table = document.getElementById('compare-by-scenario');
    header(table, batches, 'Suite / scenario');
    var body = table.querySelector('tbody');
    var counts = { higher: 0, lower: 0, same: 0 };
    Object.keys(keys).sort().forEach(function (key) {
      var entries = keys[key];
      var name = JSON.parse(key);
      var tr = el('tr');
      tr.appendChild(el('td', name[0] + ' / ' + name[1]));
      batches.forEach(function (b, i) {
        var s = entries[i];
        var td = el('td', undefined, 'num');
        if (!s) {
          td.appendChild(el('span', 'not run', 'muted'));
        } else {
          var verdict = i ? change(s, entries[0]) : '';
          if (verdict in counts) counts[verdict] += 1;
          withDelta(td, format.number(s.avgWeightedScoreCompleted),
            i ? delta(s.avgWeightedScoreCompleted, entries[0] && entries[0].avgWeightedScoreCompleted) : null, 'num', 1);
          var said = verdict === 'absent' ? 'not in baseline' : verdict;
          if (verdict && verdict !== 'same') td.appendChild(el('div', said, verdict === 'higher' ? 'better' : verdict === 'lower' ? 'worse' : 'muted'));
          td.dataset.change = verdict;
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    document.getElementById('compare-verdict').textContent =
      'Against the baseline: ' + format.count(counts.higher) + ' higher, ' + format.count(counts.lower) +
      ' lower, ' + format.count(counts.same) + ' unchanged. ' +
      'Differences only, not verdicts: a batch page decides against its previous comparable batch, and zebench compare against any other.';
    document.getElementById('compare-scenarios').hidden = false;
  }

  var match = /(?:^|&)b=([^&]*)/.exec(location.hash.replace(/^#/, ''));
  var segs = match ? match[1].split(',').map(decodeURIComponent).filter(Boolean) : [];
  if (segs.length < 2 || segs.length > 5) return;
  if (segs.some(function (s) { return !/^[a-z0-9_][a-z0-9._-]*$/.test(s); })) {
    statusEl.textContent = 'The link names a batch that does not exist.';
    return;
  }
  statusEl.textContent = 'Loading ' + segs.length + ' batches…';
  Promise.all(segs.map(function (s) {
    return ZB.load('batches/' + s).then(function (b) { b.seg = s; return b; });
  })).then(function (batches) {
    statusEl.textContent = 'Comparing ' + batches.length + ' batches; the first is the baseline.';
    figures(batches);
    scenarios(batches);
  }).catch(function (err) { statusEl.textContent = 'Could not load a batch: ' + err.message; });
})();
