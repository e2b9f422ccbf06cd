/* The header's search box: Pagefind's index of the run pages (pagefind/ in the
   site, written by the build in shards), loaded on first use. Browsers load no
   index from file://, so there the box says to serve the site instead. */
(function () {
  'use strict';
  var form = document.querySelector('form[data-search]');
  if (!form) return;
  var input = form.querySelector('input');
  var list = form.querySelector('.search-results');
  var root = document.documentElement.getAttribute('data-root') || '';
  var engine = null;
  var shown = 0;

  function say(text) {
    list.textContent = '';
    var item = document.createElement('li');
    item.textContent = text;
    list.appendChild(item);
    list.hidden = false;
  }

  if (location.protocol === 'file:') {
    input.placeholder = 'Search: run zebench serve';
    input.addEventListener('focus', function () {
      say('Search needs the site served by a web server: run "zebench serve" and open the address it prints.');
    });
    input.addEventListener('blur', function () { list.hidden = true; });
    return;
  }

  // The index is in shards (pagefind/<NN>/, listed in pagefind/shards.json): the
  // first is opened, the others are merged into it; results come from all of them.
  function load() {
    if (!engine) {
      var folder = new URL(root + 'pagefind/', location.href);
      var site = new URL(root || './', location.href).pathname;
      engine = fetch(new URL('shards.json', folder)).then(function (response) {
        if (!response.ok) throw new Error('no index');
        return response.json();
      }).then(function (list) {
        if (!list.shards.length) return null; // no runs yet
        var shard = function (name) { return new URL(name + '/', folder).pathname; };
        return import(new URL('pagefind.js', folder).href).then(function (pagefind) {
          // Result URLs are relative to the site's root, wherever it is served from.
          return pagefind.options({ basePath: shard(list.shards[0]), baseUrl: site })
            .then(function () {
              return Promise.all(list.shards.slice(1).map(function (name) {
                return pagefind.mergeIndex(shard(name), { baseUrl: site });
              }));
            })
            .then(function () { return pagefind; });
        });
      });
    }
    return engine;
  }

  // Pagefind's excerpts are HTML with <mark>; keep their text and marks, nothing else.
  function excerpt(html) {
    var out = document.createElement('p');
    var parsed = new DOMParser().parseFromString('<body>' + html, 'text/html').body;
    Array.prototype.forEach.call(parsed.childNodes, function (node) {
      if (node.nodeName === 'MARK') {
        var mark = document.createElement('mark');
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  function render(results) {
    list.textContent = '';
    results.forEach(function (result) {
      var item = document.createElement('li');
      var link = document.createElement('a');
      link.href = result.url;
      link.textContent = (result.meta && result.meta.title) || result.url;
      item.appendChild(link);
      item.appendChild(excerpt(result.excerpt || ''));
      list.appendChild(item);
    });
    list.hidden = false;
  }

  function search() {
    var term = input.value.trim();
    var asked = ++shown;
    if (!term) { list.hidden = true; return; }
    load().then(function (pagefind) {
      // Whole words, as a phrase: a shard lacking a word would otherwise answer
      // with the runs of its nearest shorter word, and every shard lacks most words.
      var phrase = '"' + term.replace(/"/g, ' ') + '"';
      return pagefind ? pagefind.debouncedSearch(phrase, {}, 150) : { results: [] };
    }).then(function (found) {
      if (found === null || asked !== shown) return null; // a newer search is on its way
      if (!found.results.length) { say('No run matches “' + term + '”.'); return null; }
      return Promise.all(found.results.slice(0, 10).map(function (r) { return r.data(); }));
    }).then(function (results) {
      if (results && asked === shown) render(results);
    }).catch(function () {
      say('No search index here: this site was built with --no-search.');
    });
  }

  input.addEventListener('input', search);
  input.addEventListener('focus', function () { load().catch(function () {}); });
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') { list.hidden = true; input.blur(); }
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault(); // Enter opens the first result
    var first = list.querySelector('a');
    if (first) location.href = first.href;
  });
  document.addEventListener('click', function (event) {
    if (!form.contains(event.target)) list.hidden = true;
  });
}());
