// The dashboard: each chart drawn from its canvas's data-chart (counted by the
// server in SQL); a click on a bar opens the queue filtered to what it counts.
// Chart.js draws labels and tooltips on the canvas as text, never as markup, so
// names from the documents cannot run. Without scripts, the numbers table under
// each chart holds the same links.
"use strict";

(function () {
  const style = getComputedStyle(document.documentElement);
  const colour = style.getPropertyValue("--confirmed-edge").trim() || "#1c64c8";

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const chart = JSON.parse(canvas.dataset.chart);
    new Chart(canvas, {
      type: "bar",
      data: {
        // A label of parts (a check and its verdict) goes on a line each.
        labels: chart.labels.map((label) => label.split(" · ")),
        datasets: [{ data: chart.counts, backgroundColor: colour }],
      },
      options: {
        indexAxis: chart.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          [chart.horizontal ? "x" : "y"]: { beginAtZero: true, ticks: { precision: 0 } },
          // Every bar named, none skipped to make room.
          [chart.horizontal ? "y" : "x"]: { ticks: { autoSkip: false } },
        },
        onClick(_event, elements) {
          const link = elements.length ? chart.links[elements[0].index] : null;
          // Only ever an address of this site's queue.
          if (link && link.startsWith("/?")) location.assign(link);
        },
        onHover(event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
      },
    });
  });
})();
