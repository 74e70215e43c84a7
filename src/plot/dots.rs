//! Dot and whisker: one actor's net stance per group with its interval.

use super::{centre_label, err, legend, net, Key, Res, Style, OKABE_ITO, THIN};
use crate::compare::{signed, GroupRow};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Dot and whisker: one actor's net stance per group with its interval, highest on top. Thin
/// groups are hollow and grey; `style.reference` is drawn as a dashed line.
pub fn dots<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[GroupRow],
    title: &str,
    style: &Style,
) -> Res<()> {
    let mut rows: Vec<(&GroupRow, [f64; 3])> =
        rows.iter().filter_map(|r| net(r).map(|n| (r, n))).collect();
    // Lowest first: plotters counts y upwards, so the highest estimate is drawn on top.
    rows.sort_by(|a, b| {
        a.1[0]
            .total_cmp(&b.1[0])
            .then_with(|| b.0.group.cmp(&a.0.group))
    });
    let labels: Vec<String> = rows
        .iter()
        .map(|(r, _)| format!("{} (n={})", r.group, r.n))
        .collect();
    area.fill(&WHITE).map_err(err)?;
    let (_, h) = area.dim_in_pixel();
    let (main, key) = area.split_vertically(h.saturating_sub(34));
    let mut chart = ChartBuilder::on(&main)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(200)
        .build_cartesian_2d(-1.08f64..1.08f64, 0f64..rows.len().max(1) as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .y_labels(rows.len() * 2 + 1)
        .y_label_formatter(&move |y| {
            let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
            centre_label(*y, &refs)
        })
        .x_labels(11)
        .x_label_formatter(&|x| signed(*x, 1))
        .x_desc("net stance: share favor − share against")
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.06))
        .draw()
        .map_err(err)?;
    let top = rows.len().max(1) as f64;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, top)],
            BLACK.mix(0.35).stroke_width(1),
        )))
        .map_err(err)?;
    if let Some((_, v)) = &style.reference {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(*v, 0.0), (*v, top)],
                5,
                4,
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(err)?;
    }
    let mut any_thin = false;
    for (i, (r, [m, lo, hi])) in rows.iter().enumerate() {
        let y = i as f64 + 0.5;
        let thin = r.n < style.min_n;
        any_thin |= thin;
        let (ink, width) = if thin { (THIN, 1) } else { (OKABE_ITO[0], 2) };
        chart
            .draw_series([
                PathElement::new(vec![(*lo, y), (*hi, y)], ink.stroke_width(width)),
                PathElement::new(
                    vec![(*lo, y - 0.18), (*lo, y + 0.18)],
                    ink.stroke_width(width),
                ),
                PathElement::new(
                    vec![(*hi, y - 0.18), (*hi, y + 0.18)],
                    ink.stroke_width(width),
                ),
            ])
            .map_err(err)?;
        let fill = if thin { WHITE } else { OKABE_ITO[0] };
        chart
            .draw_series([
                Circle::new((*m, y), 5, fill.filled()),
                Circle::new((*m, y), 5, ink.stroke_width(1)),
            ])
            .map_err(err)?;
    }
    let mut keys = vec![(
        Key::Dot(OKABE_ITO[0]),
        "net stance, whiskers: 95% interval".to_string(),
    )];
    if any_thin {
        keys.push((Key::Hollow, format!("n < {} (thin)", style.min_n)));
    }
    if let Some((label, v)) = &style.reference {
        keys.push((Key::Dashed, format!("{label} ({})", signed(*v, 2))));
    }
    legend(&key, 24, 16, &keys)?;
    Ok(())
}
