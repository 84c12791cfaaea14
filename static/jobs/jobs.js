// Live progress of the jobs on a page: every element with data-job-url (the job's
// /api/jobs/<id>/ address) is refreshed twice a second while its job is queued or running;
// when a job ends, the page reloads so that it shows the outcome as the server renders it.
// Without JavaScript the page shows the same state on reload.
(function () {
  "use strict";
  var FINISHED = ["done", "failed", "cancelled"];
  var INTERVAL_MS = 500;

  function show(element, job) {
    element.dataset.status = job.status;
    element.querySelectorAll(".job-status").forEach(function (node) {
      node.textContent = job.status;
    });
    element.querySelectorAll(".job-message").forEach(function (node) {
      node.textContent = job.message;
    });
    element.querySelectorAll(".job-count").forEach(function (node) {
      node.textContent = job.total ? job.done + "/" + job.total : String(job.done);
    });
    element.querySelectorAll("progress.job-progress").forEach(function (bar) {
      if (job.total) {
        bar.max = job.total;
        bar.value = Math.min(job.done, job.total);
      } else if (FINISHED.indexOf(job.status) >= 0) {
        bar.max = 1;
        bar.value = 1;
      } else {
        bar.removeAttribute("value"); // indeterminate: the total is not known yet
      }
    });
  }

  function follow(element) {
    var url = element.dataset.jobUrl;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (job) {
          show(element, job);
          if (FINISHED.indexOf(job.status) >= 0) {
            window.setTimeout(function () { window.location.reload(); }, 400);
          } else {
            window.setTimeout(poll, INTERVAL_MS);
          }
        })
        .catch(function () { window.setTimeout(poll, INTERVAL_MS * 3); });
    }
    window.setTimeout(poll, INTERVAL_MS / 2);
  }

  // On the review page: the file chosen as keeper is never quarantined, the others are.
  function keeperChoice(form) {
    form.querySelectorAll("input[name=keeper]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        form.querySelectorAll("input[name=remove]").forEach(function (box) {
          var isKeeper = box.value === radio.value;
          if (box.dataset.kept === "1") { return; }
          box.checked = !isKeeper;
          box.disabled = isKeeper;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-job-url]").forEach(function (element) {
      if (FINISHED.indexOf(element.dataset.status) < 0) { follow(element); }
    });
    document.querySelectorAll("form.group-choice").forEach(keeperChoice);
  });
})();
