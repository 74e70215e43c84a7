// Opens a `stance report` page in headless Chromium, measures what a reader would see, and
// saves screenshots. Run by tests/report_browser.rs with REPORT (the page's file), CHROMIUM,
// SCREENSHOT (the first screen), FULLSHOT (the whole page) set and playwright-core on
// NODE_PATH. Prints one JSON line: what the page showed.
"use strict";
const { chromium } = require("playwright-core");
const { pathToFileURL } = require("url");

async function main() {
  const url = pathToFileURL(process.env.REPORT).href;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const problems = [];
  const foreign = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("request", (r) => { if (r.url() !== url && !r.url().startsWith("data:")) foreign.push(r.url()); });
    await page.goto(url);
    const seen = await page.evaluate(() => {
      const text = (e) => (e ? e.textContent.trim() : null);
      const h2 = [...document.querySelectorAll("h2")].map((h) => h.textContent.trim());
      // Interval cells that wrap onto a second line.
      const wrapped = [];
      for (const td of document.querySelectorAll("td")) {
        if (!td.textContent.includes("[")) continue;
        const r = document.createRange();
        r.selectNodeContents(td);
        const tops = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
        if (tops.size > 1) wrapped.push(td.textContent);
      }
      // What lies under each heatmap cell's "n=…" label: the cell's fill.
      const heat = document.querySelector(".chart svg");
      const cells = [];
      for (const t of heat.querySelectorAll("text")) {
        const m = /^n=(\d+)$/.exec(t.textContent.trim());
        if (!m) continue;
        t.scrollIntoView({ block: "center" });
        const b = t.getBoundingClientRect();
        const under = document
          .elementsFromPoint(b.left + b.width / 2, b.top - 2)
          .find((e) => e.tagName === "rect");
        cells.push({ n: Number(m[1]), fill: under ? (under.getAttribute("fill") || "").toUpperCase() : null });
      }
      const thinRows = [...document.querySelectorAll("tr.thin")];
      const hatched = thinRows.filter((tr) =>
        getComputedStyle(tr.querySelector("td")).backgroundImage.includes("repeating-linear-gradient")).length;
      window.scrollTo(0, 0);
      const standout = document.querySelector("table.standout");
      const firstScreen = [...document.querySelectorAll("h2")]
        .filter((h) => h.getBoundingClientRect().top < window.innerHeight)
        .map((h) => h.textContent.trim());
      return {
        h2,
        firstScreen,
        lede: text(document.querySelector(".lede")),
        standoutRows: standout ? standout.querySelectorAll("tbody tr").length : 0,
        standoutFirst: standout ? text(standout.querySelector("tbody tr")) : null,
        charts: document.querySelectorAll(".chart svg").length,
        heatLegend: heat.textContent.includes("+1 favor") && heat.textContent.includes("−1 against"),
        thinLegend: heat.textContent.includes("too few to colour"),
        dotLegends: [...document.querySelectorAll(".grid .chart svg")].filter((s) => s.textContent.includes("95% interval")).length,
        periodNote: (() => {
          const h = [...document.querySelectorAll("h2")].find((x) => x.textContent.startsWith("Over time"));
          const n = h && h.nextElementSibling;
          return n && n.classList.contains("note") ? n.textContent.trim() : null;
        })(),
        wrapped,
        cells,
        thinRows: thinRows.length,
        hatched,
        pageWidth: document.documentElement.scrollWidth,
      };
    });
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: false });
    await page.screenshot({ path: process.env.FULLSHOT, fullPage: true });
    console.log(JSON.stringify({ ...seen, problems, foreign }));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
