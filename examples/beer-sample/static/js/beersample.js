// The pages' script: search as you type (debounced; a newer search cancels the one in flight;
// results written with textContent, never as HTML), and like buttons that update in place.
'use strict';

(function () {
  var DEBOUNCE_MS = 200;
  var enc = encodeURIComponent;

  function link(href, text, className) {
    var a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    if (className) a.className = className;
    return a;
  }

  function cell() {
    var td = document.createElement('td');
    td.append.apply(td, arguments);
    return td;
  }

  function actions(path, id) {
    return cell(
      link('/' + path + '/edit/' + enc(id), 'Edit', 'btn btn-small btn-warning'), ' ',
      link('/' + path + '/delete/' + enc(id), 'Delete', 'btn btn-small btn-danger'));
  }

  // One table row per search answer entry, like the rows the server renders.
  var rowCells = {
    beer: function (b) {
      return [cell(link('/beers/show/' + enc(b.id), b.name)), cell(link('/breweries/show/' + enc(b.brewery), b.breweryName)),
        cell(String(b.likes)), actions('beers', b.id)];
    },
    brewery: function (b) {
      return [cell(link('/breweries/show/' + enc(b.id), b.name)), cell([b.city, b.country].filter(Boolean).join(', ')),
        actions('breweries', b.id)];
    },
    'brewery-beer': function (b) {
      return [cell(link('/beers/show/' + enc(b.id), b.name))];
    },
  };

  function setUpSearch(input) {
    var table = document.getElementById(input.dataset.table);
    var status = document.getElementById(input.id + '-status');
    var cells = rowCells[input.dataset.rows];
    var timer;
    var inflight;

    function show(value, entries) {
      var rows = entries.map(function (entry) {
        var tr = document.createElement('tr');
        tr.append.apply(tr, cells(entry));
        return tr;
      });
      table.tBodies[0].replaceChildren.apply(table.tBodies[0], rows);
      status.textContent = entries.length ? '' : 'No matches';
      table.dataset.searched = value;
    }

    function search() {
      if (inflight) inflight.abort();
      var controller = inflight = new AbortController();
      var value = input.value;
      var params = new URLSearchParams({ value: value });
      if (input.dataset.brewery) params.set('brewery', input.dataset.brewery);
      fetch(input.dataset.search + '?' + params, { signal: controller.signal, headers: { accept: 'application/json' } })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.error || 'Search failed');
            if (inflight === controller) show(value, body);
          });
        })
        .catch(function (error) {
          if (error.name !== 'AbortError') status.textContent = error.message;
        });
    }

    input.form.addEventListener('submit', function (event) {
      event.preventDefault();
      clearTimeout(timer);
      search();
    });
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(search, DEBOUNCE_MS);
    });
  }

  function setUpLike(form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      fetch(form.action, { method: 'POST', headers: { accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status);
          return response.json();
        })
        .then(function (body) {
          document.querySelectorAll('[data-likes]').forEach(function (el) {
            el.textContent = String(body.likes);
          });
        })
        .catch(function () {
          form.submit();
        });
    });
  }

  document.querySelectorAll('input[data-search]').forEach(setUpSearch);
  document.querySelectorAll('form.like-form').forEach(setUpLike);
})();
