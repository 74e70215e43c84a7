//! A self-contained HTML report of a comparison: tables, inline SVG charts, inline CSS and a
//! methods box; nothing is fetched from the network.

use crate::compare::{signed, GroupRow};
#[cfg(feature = "charts")]
use crate::plot::{self, Chart};
use std::fmt::Write;

/// What goes into a report.
pub struct ReportInput<'a> {
    /// The page title.
    pub title: &'a str,
    /// Rows of the comparison by source, and by month.
    pub by_source: &'a [GroupRow],
    /// Rows of the comparison by month.
    pub by_month: &'a [GroupRow],
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

const STYLE: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;color:#222;line-height:1.45}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}\
.methods{background:#f4f6f8;border-left:4px solid #0072b2;padding:.6em 1.2em;margin:1em 0}\
table{border-collapse:collapse;font-size:.85em;margin:1em 0}th,td{padding:.25em .6em;text-align:right;border-bottom:1px solid #e4e4e4}\
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}thead th{background:#fafafa}\
.chart{overflow-x:auto;margin:1em 0}.chart svg{max-width:100%;height:auto}.thin{color:#999}.note{color:#555;font-size:.85em}";

fn table(rows: &[GroupRow], what: &str, min_n: usize) -> String {
    let Some(first) = rows.first() else {
        return "<p>No rows.</p>".into();
    };
    let mut s = String::new();
    let labels = &first.labels;
    let _ = write!(
        s,
        "<table><thead><tr><th>{}</th><th>actor</th><th>n</th><th>net</th><th>95% interval</th>",
        escape(what)
    );
    for l in labels {
        let _ = write!(s, "<th>% {}</th>", escape(l));
    }
    let _ = write!(
        s,
        "<th>predicted ({})</th><th>mean score</th></tr></thead><tbody>",
        escape(&labels.join("/"))
    );
    for r in rows {
        let c = r.chosen();
        let class = if r.n < min_n { " class=\"thin\"" } else { "" };
        let _ = write!(
            s,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td>",
            escape(&r.group),
            escape(&r.actor),
            r.n
        );
        match c.net {
            Some([m, lo, hi]) => {
                let _ = write!(
                    s,
                    "<td>{}</td><td>[{}, {}]</td>",
                    signed(m, 2),
                    signed(lo, 2),
                    signed(hi, 2)
                );
            }
            None => s.push_str("<td>-</td><td>-</td>"),
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
    }
    s.push_str("</tbody></table>");
    s
}

#[cfg(feature = "charts")]
fn chart(kind: Chart, rows: &[GroupRow], title: &str) -> String {
    if rows.is_empty() {
        return String::new();
    }
    match plot::svg(kind, rows, title, plot::size_for(kind, rows)) {
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

#[cfg(not(feature = "charts"))]
fn chart(_kind: Chart, _rows: &[GroupRow], _title: &str) -> String {
    let _ = (Chart::Heatmap, Chart::Dots, Chart::Months);
    "<p class=\"note\">(no chart: this build of stance was made without the charts feature)</p>"
        .to_string()
}

/// The report page.
pub fn html(input: &ReportInput<'_>, min_n: usize) -> String {
    let mut s = String::new();
    let estimator = input
        .by_source
        .first()
        .or(input.by_month.first())
        .map_or("?", |r| r.estimator.name());
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head><body><h1>{t}</h1>",
        t = escape(input.title)
    );
    s.push_str("<div class=\"methods\"><strong>Methods</strong><ul>");
    for m in &input.methods {
        let _ = write!(s, "<li>{}</li>", escape(m));
    }
    s.push_str("</ul></div>");
    s.push_str("<h2>Mean stance by source and actor</h2>");
    s.push_str(&chart(
        Chart::Heatmap,
        input.by_source,
        "Mean signed score P(favor) − P(against), by source × actor (n in each cell)",
    ));
    for actor in &input.focus {
        let rows: Vec<GroupRow> = input
            .by_source
            .iter()
            .filter(|r| &r.actor == actor)
            .cloned()
            .collect();
        let _ = write!(s, "<h2>{} by source</h2>", escape(actor));
        s.push_str(&chart(
            Chart::Dots,
            &rows,
            &format!("Net stance toward {actor} by source (estimator: {estimator})"),
        ));
    }
    let focus_months: Vec<GroupRow> = input
        .by_month
        .iter()
        .filter(|r| input.focus.contains(&r.actor))
        .cloned()
        .collect();
    s.push_str("<h2>Over time</h2>");
    s.push_str(&chart(
        Chart::Months,
        &focus_months,
        &format!("Net stance by month with 95% bands (estimator: {estimator})"),
    ));
    s.push_str("<h2>Table by source</h2>");
    let _ = write!(s, "<p class=\"note\">Shares and net stance by {estimator}; grey rows have fewer than {min_n} articles.</p>");
    s.push_str(&table(input.by_source, "source", min_n));
    s.push_str("<h2>Table by month</h2>");
    s.push_str(&table(input.by_month, "month", min_n));
    s.push_str("</body></html>\n");
    s
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
}
