//! A self-contained HTML report of a comparison: tables, inline SVG charts, inline CSS and a
//! methods box; nothing is fetched from the network, and the page has no script.
//!
//! What an analyst sees first is what stands out: the few pairs of groups whose 95% intervals
//! for the net stance toward the same actor do not overlap ([`standouts`]). Thin groups (fewer
//! than `min_n` articles) are shown as thin everywhere: hatched grey heatmap cells and table
//! rows, hollow grey dots, never coloured like an estimate, and never listed as standing out.

use crate::compare::{signed, GroupRow};

pub mod collect;
#[cfg(feature = "charts")]
use crate::plot::{self, Chart, Style};
pub use collect::{Collected, Collector, Stats};
use std::fmt::Write;

/// What goes into a report.
pub struct ReportInput<'a> {
    /// The page title.
    pub title: &'a str,
    /// One line under the title: the data and the estimator, already worded.
    pub lede: String,
    /// Rows of the comparison by source.
    pub by_source: &'a [GroupRow],
    /// Rows of the comparison over time, by [`ReportInput::period`].
    pub by_period: &'a [GroupRow],
    /// What a group of `by_period` is: "month", or "quarter" when months were too thin.
    pub period: &'a str,
    /// Why the periods are what they are (e.g. "months have a median of 4 articles per
    /// actor"), when they were aggregated.
    pub period_note: Option<String>,
    /// Each actor over all articles together (one row per actor): the reference line of the
    /// dot charts.
    pub overall: &'a [GroupRow],
    /// Lines of the methods box (model, estimator, n, intervals), already worded.
    pub methods: Vec<String>,
    /// Actors to chart individually (the most frequent).
    pub focus: Vec<String>,
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The expected error of a row's net stance at its group size, from the real-use evaluation
/// of the model's training procedure (`stance simulate`), when the comparison had one: the
/// tables' "expected error" column, the marks on rows where it is as large as the figure read,
/// and the methods-box line all read this one function, and all of them are left out while
/// it returns None.
pub fn expected_error(row: &GroupRow) -> Option<f64> {
    row.expected_error
}

/// The methods-box line on expected errors, shown only when some row has one.
const EXPECTED_ERROR_METHOD: &str = "Expected error at this group size: the mean absolute error of the net stance that the real-use evaluation (stance simulate) measured for groups of about this many articles. A row whose expected error is as large as its net stance (a difference between two shares), or a pair whose two expected errors together are as large as their difference, is greyed out and marked ≈: at that size the model's own error could make it.";

const STYLE: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}\
.lede{color:#444;margin-top:0}\
.methods{background:#f4f6f8;border-left:4px solid #0072b2;padding:.6em 1.2em;margin:1.5em 0;font-size:.92em}\
.scroll{overflow-x:auto}\
table{border-collapse:collapse;font-size:.82em;margin:.6em 0}th,td{padding:.22em .45em;text-align:right;border-bottom:1px solid #e4e4e4;white-space:nowrap}\
th.l,td.l{text-align:left}thead th{background:#fafafa;vertical-align:bottom}\
tr.first td{border-top:2px solid #ccc}\
tr.thin td{color:#8a8a8a;background:repeating-linear-gradient(135deg,#f3f3f3 0 3px,#fff 3px 7px)}\
tr.noisy td{color:#9a9a9a}tr.noisy td.net::after,tr.noisy td.diff::after{content:' ≈';color:#b35900}\
td.bar svg{vertical-align:middle}\
.standout td.hi{color:#21669c;font-weight:bold}.standout td.lo{color:#b35900;font-weight:bold}\
.standout td.gap{font-weight:bold}.standout td{padding:.3em .4em}\
.chart{overflow-x:auto;margin:1em 0}.chart svg{max-width:100%;height:auto}\
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(540px,1fr));gap:.5em 1.5em}\
.note{color:#555;font-size:.85em;max-width:60em}.edge{color:#b35900}";

/// A pair of groups whose intervals for the net stance toward one actor do not overlap.
#[derive(Debug, Clone)]
pub struct Difference<'a> {
    /// The actor.
    pub actor: &'a str,
    /// The group with the higher net stance.
    pub high: &'a GroupRow,
    /// The group with the lower net stance.
    pub low: &'a GroupRow,
    /// How far apart the intervals are: the higher group's lower end minus the lower group's
    /// upper end (positive).
    pub gap: f64,
}

impl Difference<'_> {
    /// The difference of the two net stances.
    pub fn difference(&self) -> f64 {
        net(self.high).map_or(0.0, |n| n[0]) - net(self.low).map_or(0.0, |n| n[0])
    }
}

/// What [`standouts`] found.
#[derive(Debug, Clone, Default)]
pub struct Standouts<'a> {
    /// The pairs to show, widest gap first.
    pub shown: Vec<Difference<'a>>,
    /// All pairs whose intervals do not overlap (both groups with at least `min_n` articles).
    pub separated: usize,
    /// All pairs compared (both groups with at least `min_n` articles, same actor).
    pub compared: usize,
    /// Pairs whose intervals do not overlap but one of the groups is thin: not shown.
    pub thin: usize,
}

fn net(r: &GroupRow) -> Option<[f64; 3]> {
    r.chosen().net
}

/// The pairs of groups (same actor, both with at least `min_n` articles) whose 95% intervals
/// of the net stance do not overlap, the widest gap first; at most `per_actor` for one actor
/// and `max` in all. Non-overlap of two 95% intervals is a conservative test of a difference
/// (stricter than the 5% level), so what it finds is rarely noise.
pub fn standouts(rows: &[GroupRow], min_n: usize, per_actor: usize, max: usize) -> Standouts<'_> {
    let mut by_actor: std::collections::BTreeMap<&str, Vec<&GroupRow>> = Default::default();
    for r in rows.iter().filter(|r| net(r).is_some()) {
        by_actor.entry(r.actor.as_str()).or_default().push(r);
    }
    let mut found = Standouts::default();
    let mut all: Vec<Vec<Difference>> = Vec::new();
    for (actor, groups) in by_actor {
        let mut pairs = Vec::new();
        for (i, a) in groups.iter().enumerate() {
            for b in &groups[i + 1..] {
                let (na, nb) = (net(a).expect("filtered"), net(b).expect("filtered"));
                let (high, low, nh, nl) = if na[0] >= nb[0] {
                    (*a, *b, na, nb)
                } else {
                    (*b, *a, nb, na)
                };
                let thin = high.n < min_n || low.n < min_n;
                let gap = nh[1] - nl[2];
                if !thin {
                    found.compared += 1;
                }
                if gap > 0.0 {
                    if thin {
                        found.thin += 1;
                    } else {
                        found.separated += 1;
                        pairs.push(Difference {
                            actor,
                            high,
                            low,
                            gap,
                        });
                    }
                }
            }
        }
        pairs.sort_by(|a, b| b.gap.total_cmp(&a.gap));
        pairs.truncate(per_actor);
        all.push(pairs);
    }
    let mut shown: Vec<Difference> = all.into_iter().flatten().collect();
    shown.sort_by(|a, b| {
        b.gap
            .total_cmp(&a.gap)
            .then_with(|| a.actor.cmp(b.actor))
            .then_with(|| a.high.group.cmp(&b.high.group))
    });
    shown.truncate(max);
    found.shown = shown;
    found
}

/// A small interval bar on the −1…+1 scale: the whisker, the estimate, the zero tick.
fn bar(m: f64, lo: f64, hi: f64, thin: bool) -> String {
    let x = |v: f64| 2.0 + (v.clamp(-1.0, 1.0) + 1.0) * 48.0;
    let ink = if thin { "#9a9a9a" } else { "#0072b2" };
    let fill = if thin { "#fff" } else { ink };
    format!(
        "<svg width=\"100\" height=\"12\" viewBox=\"0 0 100 12\" role=\"img\" aria-label=\"{} [{}, {}]\"><line x1=\"2\" y1=\"6\" x2=\"98\" y2=\"6\" stroke=\"#e2e2e2\"/><line x1=\"50\" y1=\"1\" x2=\"50\" y2=\"11\" stroke=\"#999\"/><line x1=\"{:.1}\" y1=\"6\" x2=\"{:.1}\" y2=\"6\" stroke=\"{ink}\" stroke-width=\"2\"/><circle cx=\"{:.1}\" cy=\"6\" r=\"3.2\" fill=\"{fill}\" stroke=\"{ink}\"/></svg>",
        signed(m, 2),
        signed(lo, 2),
        signed(hi, 2),
        x(lo),
        x(hi),
        x(m)
    )
}

fn interval(lo: f64, hi: f64) -> String {
    format!("[{},&nbsp;{}]", signed(lo, 2), signed(hi, 2))
}

const EDGE_TITLE: &str = "on the edge: a share of 0 or 1 from fewer than 50 articles";

/// Both intervals of a pair on one −1…+1 scale: the higher group's in blue above, the
/// lower's in orange below, the zero tick between.
fn pair_bar(h: [f64; 3], l: [f64; 3]) -> String {
    let x = |v: f64| 3.0 + (v.clamp(-1.0, 1.0) + 1.0) * 62.0;
    let mut s = String::from("<svg width=\"130\" height=\"18\" viewBox=\"0 0 130 18\" role=\"img\" aria-label=\"the two intervals\"><line x1=\"3\" y1=\"9\" x2=\"127\" y2=\"9\" stroke=\"#e6e6e6\"/><line x1=\"65\" y1=\"1\" x2=\"65\" y2=\"17\" stroke=\"#999\"/>");
    for ([m, lo, hi], y, ink) in [(h, 5.0, "#21669c"), (l, 13.0, "#b35900")] {
        let _ = write!(
            s,
            "<line x1=\"{:.1}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\" stroke=\"{ink}\" stroke-width=\"2\"/><circle cx=\"{:.1}\" cy=\"{y}\" r=\"3\" fill=\"{ink}\"/>",
            x(lo),
            x(hi),
            x(m)
        );
    }
    s.push_str("</svg>");
    s
}

fn edge_mark(r: &GroupRow) -> &'static str {
    match (r.chosen().at_edge, r.unreliable) {
        (_, true) => "<span class=\"edge\" title=\"unreliable: the error to expect at this size is at least 0.25, or the predicted labels are more than the error rates can explain\">?</span>",
        (true, false) => "<span class=\"edge\" title=\"on the edge: a share of 0 or 1 from fewer than 50 articles\">†</span>",
        (false, false) => "",
    }
}

/// The table of what stands out.
fn standout_table(
    found: &Standouts<'_>,
    what: &str,
    ee: &dyn Fn(&GroupRow) -> Option<f64>,
) -> String {
    let with_ee = found
        .shown
        .iter()
        .any(|d| ee(d.high).is_some() && ee(d.low).is_some());
    let mut s = String::new();
    let _ = write!(
        s,
        "<div class=\"scroll\"><table class=\"standout\"><thead><tr><th class=\"l\">actor</th><th class=\"l\">higher {w} (n)</th><th>net [95% interval]</th><th class=\"l\">lower {w} (n)</th><th>net [95% interval]</th><th class=\"l\">−1 … 0 … +1</th><th>difference</th><th title=\"the higher group's lower end minus the lower group's upper end\">gap</th>",
        w = escape(what)
    );
    // The place of the expected error of the difference at these group sizes.
    if with_ee {
        s.push_str("<th title=\"the two groups' expected errors at their sizes, added\">expected error</th>");
    }
    s.push_str("</tr></thead><tbody>");
    for d in &found.shown {
        let (h, l) = (
            net(d.high).expect("has a net"),
            net(d.low).expect("has a net"),
        );
        let diff = d.difference();
        // The expected error of a difference: the two groups' expected errors added (their
        // errors need not cancel).
        let pair_ee = ee(d.high).zip(ee(d.low)).map(|(a, b)| a + b);
        let noisy = pair_ee.is_some_and(|e| e >= diff.abs());
        let _ = write!(
            s,
            "<tr{}><td class=\"l\">{}</td><td class=\"l hi\">{} ({})</td><td class=\"hi\">{}{} {}</td><td class=\"l lo\">{} ({})</td><td class=\"lo\">{}{} {}</td><td class=\"bar l\">{}</td><td class=\"diff\">{}</td><td class=\"gap\">{:.2}</td>",
            if noisy { " class=\"noisy\"" } else { "" },
            escape(d.actor),
            escape(&d.high.group),
            d.high.n,
            signed(h[0], 2),
            edge_mark(d.high),
            interval(h[1], h[2]),
            escape(&d.low.group),
            d.low.n,
            signed(l[0], 2),
            edge_mark(d.low),
            interval(l[1], l[2]),
            pair_bar(h, l),
            signed(diff, 2),
            d.gap,
        );
        if with_ee {
            match pair_ee {
                Some(e) => {
                    let _ = write!(s, "<td>±{e:.2}</td>");
                }
                None => s.push_str("<td>-</td>"),
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

/// A table of rows by actor, then group.
fn table(
    rows: &[GroupRow],
    what: &str,
    min_n: usize,
    ee: &dyn Fn(&GroupRow) -> Option<f64>,
) -> String {
    let Some(first) = rows.first() else {
        return "<p>No rows.</p>".into();
    };
    let mut sorted: Vec<&GroupRow> = rows.iter().collect();
    sorted.sort_by(|a, b| a.actor.cmp(&b.actor).then_with(|| a.group.cmp(&b.group)));
    let with_ee = rows.iter().any(|r| ee(r).is_some());
    let mut s = String::new();
    let labels = &first.labels;
    let _ = write!(
        s,
        "<div class=\"scroll\"><table><thead><tr><th class=\"l\">actor</th><th class=\"l\">{}</th><th>n</th><th>net</th><th>95% interval</th><th class=\"l\">−1 … 0 … +1</th>",
        escape(what)
    );
    // The place of the expected error at this group size, next to the figures it qualifies.
    if with_ee {
        s.push_str("<th title=\"expected error of the net stance at this group size, from the real-use evaluation\">expected error</th>");
    }
    for l in labels {
        let _ = write!(s, "<th>% {}</th>", escape(l));
    }
    let _ = write!(
        s,
        "<th>predicted<br>({})</th><th>mean score</th></tr></thead><tbody>",
        escape(&labels.join("/"))
    );
    let mut last_actor = None;
    for r in sorted {
        s.push_str(&table_row(
            r,
            min_n,
            with_ee.then(|| ee(r)),
            last_actor != Some(&r.actor),
        ));
        last_actor = Some(&r.actor);
    }
    s.push_str("</tbody></table></div>");
    s
}

/// One table row. `ee` is `None` when the table has no expected-error column, `Some(None)`
/// when it has one but this row has no figure.
fn table_row(r: &GroupRow, min_n: usize, ee: Option<Option<f64>>, first: bool) -> String {
    let c = r.chosen();
    let thin = r.n < min_n;
    let noisy = matches!((ee, c.net), (Some(Some(e)), Some([m, ..])) if e >= m.abs());
    let classes: Vec<&str> = [(thin, "thin"), (noisy, "noisy"), (first, "first")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| *c)
        .collect();
    let mut s = String::new();
    let _ = write!(
        s,
        "<tr{}><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td>",
        if classes.is_empty() {
            String::new()
        } else {
            format!(" class=\"{}\"", classes.join(" "))
        },
        escape(&r.actor),
        escape(&r.group),
        r.n
    );
    match c.net {
        Some([m, lo, hi]) => {
            let _ = write!(
                s,
                "<td class=\"net\">{}{}</td><td>{}</td><td class=\"bar l\">{}</td>",
                signed(m, 2),
                edge_mark(r),
                interval(lo, hi),
                bar(m, lo, hi, thin)
            );
        }
        None => s.push_str("<td class=\"net\">-</td><td>-</td><td></td>"),
    }
    if let Some(e) = ee {
        match e {
            Some(e) => {
                let _ = write!(s, "<td>±{e:.2}</td>");
            }
            None => s.push_str("<td>-</td>"),
        }
    }
    for x in &c.share {
        let _ = write!(s, "<td>{:.0}</td>", 100.0 * x);
    }
    let counts: Vec<String> = r.label_count.iter().map(|n| n.to_string()).collect();
    let _ = write!(s, "<td>{}</td>", counts.join("/"));
    match &r.score {
        Some(e) => {
            let _ = write!(s, "<td>{}</td>", signed(e.mean, 3));
        }
        None => s.push_str("<td>-</td>"),
    }
    s.push_str("</tr>");
    s
}

#[cfg(feature = "charts")]
fn chart(kind: Chart, rows: &[GroupRow], title: &str, style: &Style) -> String {
    if rows.is_empty() {
        return String::new();
    }
    match plot::svg_with(kind, rows, title, plot::size_for(kind, rows), style) {
        Ok(svg) => format!("<div class=\"chart\">{svg}</div>"),
        Err(e) => format!("<p class=\"note\">(chart not drawn: {})</p>", escape(&e)),
    }
}

/// The kinds of chart, for a build without charts.
#[cfg(not(feature = "charts"))]
#[derive(Clone, Copy)]
enum Chart {
    Heatmap,
    Dots,
    Months,
}

/// The chart style, for a build without charts.
#[cfg(not(feature = "charts"))]
#[derive(Default)]
struct Style {
    min_n: usize,
    reference: Option<(String, f64)>,
}

#[cfg(not(feature = "charts"))]
fn chart(_kind: Chart, _rows: &[GroupRow], _title: &str, style: &Style) -> String {
    let _ = (
        Chart::Heatmap,
        Chart::Dots,
        Chart::Months,
        style.min_n,
        &style.reference,
    );
    "<p class=\"note\">(no chart: this build of stance was made without the charts feature)</p>"
        .to_string()
}

/// The report page.
pub fn html(input: &ReportInput<'_>, min_n: usize) -> String {
    html_with(input, min_n, &expected_error)
}

/// The report page, with the expected error of each row from `ee`.
fn html_with(
    input: &ReportInput<'_>,
    min_n: usize,
    ee: &dyn Fn(&GroupRow) -> Option<f64>,
) -> String {
    let mut s = String::new();
    let estimator = input
        .by_source
        .first()
        .or(input.by_period.first())
        .map_or("?", |r| r.estimator.name());
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head><body><h1>{t}</h1><p class=\"lede\">{}</p>",
        escape(&input.lede),
        t = escape(input.title)
    );
    // First: what stands out.
    standout_section(&mut s, input, min_n, ee);
    methods_section(&mut s, input, min_n, ee);
    charts_section(&mut s, input, min_n, estimator);
    tables_section(&mut s, input, min_n, estimator, ee);
    s.push_str("</body></html>\n");
    s
}

/// What stands out: the pairs of sources whose intervals do not overlap, or why none do.
fn standout_section(
    s: &mut String,
    input: &ReportInput<'_>,
    min_n: usize,
    ee: &dyn Fn(&GroupRow) -> Option<f64>,
) {
    let found = standouts(input.by_source, min_n, 3, 10);
    s.push_str("<h2 id=\"standout\">What stands out</h2>");
    if found.compared == 0 {
        let largest = input.by_source.iter().map(|r| r.n).max().unwrap_or(0);
        let _ = write!(
            s,
            "<p>Nothing can stand out: no two sources have {min_n} or more articles on the same actor (the largest group has {largest}). Every group below is thin; read its figures as a description of a few articles, not as a difference between sources.</p>"
        );
    } else if found.shown.is_empty() {
        let _ = write!(
            s,
            "<p>No two sources with at least {min_n} articles each differ in their net stance toward an actor by more than their 95% intervals ({} pairs compared). Differences in the charts and tables below are within their uncertainty.</p>",
            found.compared
        );
    } else {
        let _ = write!(
            s,
            "<p class=\"note\">Pairs of sources whose 95% intervals of the net stance toward the same actor do not overlap: {} of the {} pairs with at least {min_n} articles on both sides{}, the widest gaps first (at most three per actor){}. Every other difference between two such sources is within its uncertainty.{}</p>",
            found.separated,
            found.compared,
            if found.shown.len() < found.separated {
                format!("; {} shown", found.shown.len())
            } else {
                String::new()
            },
            if found.thin > 0 {
                format!("; {} more pairs separate only with a thin group (fewer than {min_n} articles) and are left out", found.thin)
            } else {
                String::new()
            },
            if found.compared >= 20 {
                format!(" Non-overlapping 95% intervals are a strict test, but with {} pairs read at once one of these could still be chance.", found.compared)
            } else {
                String::new()
            }
        );
        s.push_str(&standout_table(&found, "source", ee));
    }
}

/// The methods: the input's lines, thin groups and marks, and the expected error if shown.
fn methods_section(
    s: &mut String,
    input: &ReportInput<'_>,
    min_n: usize,
    ee: &dyn Fn(&GroupRow) -> Option<f64>,
) {
    s.push_str("<div class=\"methods\"><strong>Methods</strong><ul>");
    for m in &input.methods {
        let _ = write!(s, "<li>{}</li>", escape(m));
    }
    let _ = write!(
        s,
        "<li>Thin groups: fewer than {min_n} articles. They are hatched grey in the heatmap and the tables and hollow grey in the charts, never coloured like an estimate, and never listed as standing out. † marks an estimate {EDGE_TITLE}; ? an unreliable one (the error to expect at its size is at least 0.25, or its predicted labels are more than the model's error rates can produce from any shares).</li>"
    );
    // The expected error at this group size, when the rows carry it.
    let has_ee = input
        .by_source
        .iter()
        .chain(input.by_period)
        .any(|r| ee(r).is_some());
    if has_ee {
        let _ = write!(s, "<li>{}</li>", escape(EXPECTED_ERROR_METHOD));
    }
    s.push_str("</ul></div>");
}

/// The charts: the heatmap by source, the most named actors by source, and over time.
fn charts_section(s: &mut String, input: &ReportInput<'_>, min_n: usize, estimator: &str) {
    let style = Style {
        min_n,
        reference: None,
    };
    s.push_str("<h2>Net stance by source and actor</h2>");
    s.push_str(&chart(
        Chart::Heatmap,
        input.by_source,
        &format!("Net stance (share favor − share against, {estimator}) by source × actor; n in each cell"),
        &style,
    ));
    if !input.focus.is_empty() {
        s.push_str("<h2>The most named actors by source</h2><div class=\"grid\">");
        for actor in &input.focus {
            let rows: Vec<GroupRow> = input
                .by_source
                .iter()
                .filter(|r| &r.actor == actor)
                .cloned()
                .collect();
            let reference = input
                .overall
                .iter()
                .find(|r| &r.actor == actor)
                .and_then(net)
                .map(|n| ("all sources together".to_string(), n[0]));
            s.push_str(&chart(
                Chart::Dots,
                &rows,
                &format!("{actor} by source ({estimator})"),
                &Style { min_n, reference },
            ));
        }
        s.push_str("</div>");
    }
    let focus_periods: Vec<GroupRow> = input
        .by_period
        .iter()
        .filter(|r| input.focus.contains(&r.actor))
        .cloned()
        .collect();
    let _ = write!(s, "<h2>Over time, by {}</h2>", escape(input.period));
    if let Some(note) = &input.period_note {
        let _ = write!(s, "<p class=\"note\">{}</p>", escape(note));
    }
    s.push_str(&chart(
        Chart::Months,
        &focus_periods,
        &format!(
            "Net stance by {} with 95% bands ({estimator})",
            input.period
        ),
        &style,
    ));
}

/// The tables by source and by period.
fn tables_section(
    s: &mut String,
    input: &ReportInput<'_>,
    min_n: usize,
    estimator: &str,
    ee: &dyn Fn(&GroupRow) -> Option<f64>,
) {
    s.push_str("<h2>Table by source</h2>");
    let _ = write!(
        s,
        "<p class=\"note\">Shares and net stance by {estimator}, by actor then source; hatched grey rows have fewer than {min_n} articles.</p>"
    );
    s.push_str(&table(input.by_source, "source", min_n, ee));
    let _ = write!(s, "<h2>Table by {}</h2>", escape(input.period));
    s.push_str(&table(input.by_period, input.period, min_n, ee));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    fn row(group: &str, actor: &str, n: usize, net: [f64; 3]) -> GroupRow {
        GroupRow::fixture(group, actor, n, [0.2, 0.5, 0.3], net)
    }

    fn rows() -> Vec<GroupRow> {
        vec![
            row("A", "X", 30, [0.6, 0.4, 0.8]),
            row("B", "X", 30, [-0.5, -0.7, -0.3]),
            row("C", "X", 30, [0.3, 0.0, 0.5]),
            // Far apart from everything, but n = 1: never standing out.
            row("D", "X", 1, [-1.0, -1.0, -0.9]),
            row("A", "Y", 20, [0.1, -0.2, 0.4]),
            row("B", "Y", 20, [0.0, -0.3, 0.3]),
        ]
    }

    #[test]
    fn standouts_are_separated_pairs_of_groups_that_are_not_thin() {
        let rows = rows();
        let f = standouts(&rows, 10, 3, 10);
        let pairs: Vec<(&str, &str, &str)> = f
            .shown
            .iter()
            .map(|d| (d.actor, d.high.group.as_str(), d.low.group.as_str()))
            .collect();
        // A–B (gap 0.7) and C–B (0.3); A–C overlap; Y's overlap; D is thin.
        assert_eq!(pairs, [("X", "A", "B"), ("X", "C", "B")]);
        assert!((f.shown[0].gap - 0.7).abs() < 1e-9);
        assert!((f.shown[0].difference() - 1.1).abs() < 1e-9);
        assert_eq!((f.separated, f.compared, f.thin), (2, 4, 3));
        assert_eq!(standouts(&rows, 10, 1, 10).shown.len(), 1, "per actor");
    }

    fn input<'a>(rows: &'a [GroupRow]) -> ReportInput<'a> {
        ReportInput {
            title: "T",
            lede: "lede".into(),
            by_source: rows,
            by_period: rows,
            period: "quarter",
            period_note: None,
            overall: &[],
            methods: vec!["Estimator: pcc".into()],
            focus: vec!["X".into()],
        }
    }

    #[test]
    fn the_page_opens_with_what_stands_out_and_marks_thin_rows() {
        let rows = rows();
        let page = html(&input(&rows), 10);
        let standout = page.find("What stands out").unwrap();
        assert!(standout < page.find("Methods").unwrap());
        assert!(standout < page.find("<svg").unwrap_or(usize::MAX));
        assert!(page.contains("2 of the 4 pairs"), "{page}");
        assert!(page
            .contains("<tr class=\"thin\"><td class=\"l\">X</td><td class=\"l\">D</td><td>1</td>"));
        // No expected errors: no column, no methods line, no marks.
        assert!(!page.contains("expected error"));
        assert!(!page.contains("Expected error"));
        assert!(!page.contains("class=\"noisy\""));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn with_only_thin_groups_nothing_is_said_to_be_within_uncertainty() {
        let rows = [
            row("A", "X", 3, [0.9, 0.5, 1.0]),
            row("B", "X", 2, [-0.9, -1.0, -0.5]),
        ];
        let page = html(&input(&rows), 10);
        assert!(page.contains("Nothing can stand out"), "{page}");
        assert!(page.contains("the largest group has 3"));
        assert!(!page.contains("within their uncertainty"));
    }

    #[test]
    fn expected_errors_are_shown_and_mark_what_they_swamp() {
        let rows = rows();
        // An expected error of 0.45 at every size: as large as the nets of C/X (0.3), A/Y
        // (0.1) and B/Y (0.0), and the pair C–B's two (0.9) as large as its difference (0.8);
        // A–B's difference (1.1) is larger.
        let page = html_with(&input(&rows), 10, &|_| Some(0.45));
        assert!(page.contains("<th title=\"expected error of the net stance at this group size"));
        assert!(page.contains("Expected error at this group size"));
        assert!(page.contains("<td>±0.45</td>"));
        assert!(page.contains("<td>±0.90</td>"));
        let noisy_rows = page.matches("<tr class=\"noisy").count()
            + page.matches("<tr class=\"thin noisy").count();
        // In each of the two tables three rows, plus the pair C–B in the standout table.
        assert_eq!(noisy_rows, 2 * 3 + 1, "{page}");
        // Only some rows have one: the column is there, '-' where absent.
        let page = html_with(&input(&rows), 10, &|r| (r.group == "A").then_some(0.05));
        assert!(page.contains("<td>±0.05</td>") && page.contains("<td>-</td>"));
    }
}
