/* Batch list: ticked batches go to the comparison page as #b=<file name>,… */
(function () {
  'use strict';
  var button = document.getElementById('compare-picked');
  var note = document.getElementById('picked-note');
  if (!button) return;
  var picked = [];
  document.addEventListener('zb-picked', function (event) {
    picked = event.detail;
    var ok = picked.length >= 2 && picked.length <= 5;
    button.disabled = !ok;
    note.textContent = picked.length + ' selected' + (ok ? '' : ' (pick 2 to 5)');
  });
  button.addEventListener('click', function () {
    location.href = ZB.root + 'batches/compare.html#b=' + picked.map(encodeURIComponent).join(',');
  });
})();
