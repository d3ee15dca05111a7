// The report page: a fact and its source text find each other, and the keyboard
// drives the review (j/k move, c confirm, e correct, r reject). Everything also
// works without this file: the forms post and the page reloads.
"use strict";

(function () {
  const facts = Array.from(document.querySelectorAll(".fact"));
  if (!facts.length) return;
  let current = null;

  function marksOf(fact) {
    return document.querySelectorAll(`mark[data-facts~="${fact.dataset.fact}"]`);
  }

  function select(fact, { source = false, record = false } = {}) {
    if (current) current.classList.remove("selected");
    document.querySelectorAll("mark.active").forEach((mark) => mark.classList.remove("active"));
    current = fact;
    fact.classList.add("selected");
    const marks = marksOf(fact);
    marks.forEach((mark) => mark.classList.add("active"));
    if (source && marks.length) marks[0].scrollIntoView({ block: "center" });
    if (record) fact.scrollIntoView({ block: "nearest" });
    history.replaceState(null, "", `${location.pathname}${location.search}#${fact.id}`);
  }

  function move(step) {
    const index = current ? facts.indexOf(current) + step : 0;
    if (index >= 0 && index < facts.length) select(facts[index], { source: true, record: true });
  }

  document.addEventListener("click", (event) => {
    const mark = event.target.closest("mark[data-facts]");
    if (mark) {
      // Facts can overlap: a second click on the same text goes to the next one.
      const ids = mark.dataset.facts.split(" ");
      const at = current ? ids.indexOf(current.dataset.fact) : -1;
      const fact = document.getElementById(`fact-${ids[(at + 1) % ids.length]}`);
      if (fact) select(fact, { record: true });
      return;
    }
    const fact = event.target.closest(".fact");
    if (fact && !event.target.closest("button, input, textarea, summary, label, a")) {
      select(fact, { source: true });
    }
  });

  function fromHash() {
    const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.classList.contains("fact")) {
      select(target, { source: true, record: true });
    } else if (target && target.classList.contains("anchor")) {
      target.classList.add("flash");
      (target.nextElementSibling || target).scrollIntoView({ block: "center" });
    }
    return target;
  }

  window.addEventListener("hashchange", fromHash);

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest("input, textarea, select");
    if (typing) {
      if (event.key === "Escape") {
        const details = typing.closest("details");
        if (details) details.open = false;
        typing.blur();
      }
      return;
    }
    if (!current && "cer".includes(event.key)) return;
    if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
    else if (event.key === "c") current.querySelector("button.confirm").click();
    else if (event.key === "r") current.querySelector("button.reject").click();
    else if (event.key === "e") {
      const details = current.querySelector("details.correct");
      details.open = true;
      const input = details.querySelector(".value-input");
      input.focus();
      input.select();
    } else return;
    event.preventDefault();
  });

  if (!fromHash()) {
    const first = facts.find((fact) => fact.classList.contains("rv-unreviewed")) || facts[0];
    select(first, { source: true, record: true });
  }
})();
