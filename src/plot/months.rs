//! Time series as small multiples: one panel per actor, the net stance by period with its band.

use super::{centre_label, err, legend, net, text_style, unique, Key, Res, Style, OKABE_ITO, THIN};
use crate::compare::{signed, GroupRow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

/// Time series as small multiples: one panel per actor (two columns), the net stance by
/// period as a line with its 95% band; periods of fewer than `style.min_n` articles are hollow
/// grey points. Periods are the rows' groups in sorted order (months, quarters, …).
pub fn months<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[GroupRow],
    title: &str,
    style: &Style,
) -> Res<()> {
    let periods: Vec<&str> = unique(rows.iter().map(|r| r.group.as_str()));
    let actors: Vec<&str> = unique(rows.iter().map(|r| r.actor.as_str()));
    area.fill(&WHITE).map_err(err)?;
    let (_, h) = area.dim_in_pixel();
    let (head, rest) = area.split_vertically(30);
    let (body, key) = rest.split_vertically(h.saturating_sub(30 + 34));
    head.draw(&Text::new(
        title.to_string(),
        (12, 16),
        text_style(16.0, BLACK, HPos::Left),
    ))
    .map_err(err)?;
    let columns = if actors.len() > 1 { 2 } else { 1 };
    let panel_rows = actors.len().div_ceil(columns).max(1);
    let panels = body.split_evenly((panel_rows, columns));
    // Every other period's label when they would crowd.
    let every = if periods.len() > 8 { 2 } else { 1 };
    let mut any_thin = false;
    for (ai, (actor, panel)) in actors.iter().zip(&panels).enumerate() {
        let colour = OKABE_ITO[ai % OKABE_ITO.len()];
        any_thin |= months_panel(panel, actor, colour, &periods, rows, style, every)?;
    }
    let mut keys = vec![(
        Key::Band(OKABE_ITO[0]),
        "net stance; band: 95% interval".to_string(),
    )];
    if any_thin {
        keys.push((Key::Hollow, format!("n < {} (thin)", style.min_n)));
    }
    legend(&key, 24, 16, &keys)?;
    Ok(())
}

/// One actor's panel of [`months`]: the line, its band and the points; whether a point is thin.
fn months_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    actor: &str,
    colour: RGBColor,
    periods: &[&str],
    rows: &[GroupRow],
    style: &Style,
    every: usize,
) -> Res<bool> {
    let pl = periods;
    let mut chart = ChartBuilder::on(panel)
        .caption(actor, ("sans-serif", 14))
        .margin(8)
        .x_label_area_size(26)
        .y_label_area_size(44)
        .build_cartesian_2d(-0.5f64..periods.len() as f64 - 0.5, -1.05f64..1.05f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(periods.len() * 2 + 1)
        .x_label_formatter(&move |x| {
            let i = (*x).round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize).is_multiple_of(every) {
                centre_label(*x + 0.5, pl)
            } else {
                String::new()
            }
        })
        .y_labels(5)
        .y_label_formatter(&|y| signed(*y, 1))
        .x_label_style(("sans-serif", 10))
        .y_label_style(("sans-serif", 10))
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.06))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 0.0), (periods.len() as f64 - 0.5, 0.0)],
            BLACK.mix(0.35).stroke_width(1),
        )))
        .map_err(err)?;
    let pts: Vec<(f64, [f64; 3], bool)> = periods
        .iter()
        .enumerate()
        .filter_map(|(pi, p)| {
            let r = rows.iter().find(|r| r.group == *p && r.actor == actor)?;
            net(r).map(|n| (pi as f64, n, r.n < style.min_n))
        })
        .collect();
    if pts.is_empty() {
        return Ok(false);
    }
    let mut band: Vec<(f64, f64)> = pts.iter().map(|(x, n, _)| (*x, n[2])).collect();
    band.extend(pts.iter().rev().map(|(x, n, _)| (*x, n[1])));
    chart
        .draw_series(std::iter::once(Polygon::new(
            band,
            colour.mix(0.16).filled(),
        )))
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            pts.iter().map(|(x, n, _)| (*x, n[0])),
            colour.stroke_width(2),
        ))
        .map_err(err)?;
    for (x, n, thin) in &pts {
        let (fill, ink) = if *thin {
            (WHITE, THIN)
        } else {
            (colour, colour)
        };
        chart
            .draw_series([
                Circle::new((*x, n[0]), 4, fill.filled()),
                Circle::new((*x, n[0]), 4, ink.stroke_width(1)),
            ])
            .map_err(err)?;
    }
    Ok(pts.iter().any(|(_, _, thin)| *thin))
}
