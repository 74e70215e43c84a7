// Drives the `stance label` page in headless Chromium by keyboard: labels three articles,
// undoes the last, labels it again differently, labels a fourth, and saves a screenshot.
// Run by tests/label_browser.rs with STANCE_URL, CHROMIUM, SCREENSHOT set and playwright-core
// on NODE_PATH. Prints one JSON line: what it did and what the page showed.
"use strict";
const { chromium } = require("playwright-core");

const url = process.env.STANCE_URL;
const shot = process.env.SCREENSHOT;

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    // (playwright starts Chromium with a new empty profile of its own: no --user-data-dir)
  });
  const problems = [];
  const foreign = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("request", (r) => { if (!r.url().startsWith(url)) foreign.push(r.url()); });
    await page.goto(url);
    await page.waitForSelector(".q");
    const idOf = () => page.$eval(".doc .meta .id", (e) => e.textContent);
    const rowCount = () => page.$$eval(".q", (q) => q.length);
    const waitNew = (prev) => page.waitForFunction(
      (p) => { const e = document.querySelector(".doc .meta .id"); return e && e.textContent !== p; }, prev);
    const labelWith = async (key) => {
      const n = await rowCount();
      for (let i = 0; i < n; i++) await page.keyboard.press(key);
    };
    const done = [];
    // Three articles: every question "1" (against / negative), then "3", then "2".
    for (const key of ["1", "3", "2"]) {
      const id = await idOf();
      await labelWith(key);
      const chosen = await page.$$eval(".opt.chosen", (b) => b.length);
      if (chosen !== (await rowCount())) problems.push("keys did not choose a label on every row of " + id);
      await page.keyboard.press("Enter");
      await waitNew(id);
      done.push({ id, key });
    }
    // Undo: the third article comes back; label it "1" instead.
    const before = await idOf();
    await page.keyboard.press("u");
    await waitNew(before);
    const back = await idOf();
    const undoneOk = back === done[2].id;
    await labelWith("1");
    await page.keyboard.press("Enter");
    await waitNew(back);
    done[2].key = "1";
    // A fourth: "n" (neutral) on the first question by its initial, then Enter accepts the
    // model's guess for every other question.
    const id4 = await idOf();
    const guesses = await page.$$eval(".q .q-guess b", (b) => b.length);
    if (guesses !== (await rowCount())) problems.push("the model's guess is not shown on every row of " + id4);
    const first = await page.$eval(".q .q-name", (e) => e.textContent);
    await page.keyboard.press("n");
    await page.keyboard.press("Enter");
    await waitNew(id4);
    done.push({ id: id4, key: "n+enter", first });
    // The next article on screen, its second question focused, for the screenshot.
    await page.keyboard.press("ArrowDown");
    await page.waitForTimeout(300);
    const help = await page.$eval("#help", (e) => e.textContent);
    const marks = await page.$$eval("mark.m", (m) => m.length);
    const focusMarks = await page.$$eval("mark.m.focus", (m) => m.length);
    const stage = await page.$eval("#stage", (e) => e.textContent);
    await page.screenshot({ path: shot, fullPage: false });
    console.log(JSON.stringify({ done, undoneOk, back, help, marks, focusMarks, stage, problems, foreign }));
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
