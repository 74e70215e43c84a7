//! Solving `Aᵀp ≈ q` for label shares `p` on the probability simplex (the adjustment of ACC
//! and PACC), and the small dense linear algebra it needs.

/// Projects `v` onto the probability simplex (Euclidean projection).
pub fn project_simplex(v: &[f64]) -> Vec<f64> {
    let mut u = v.to_vec();
    u.sort_by(|a, b| b.total_cmp(a));
    let mut css = 0.0;
    let mut theta = 0.0;
    for (j, &x) in u.iter().enumerate() {
        css += x;
        let t = (css - 1.0) / (j as f64 + 1.0);
        if x - t > 0.0 {
            theta = t;
        }
    }
    v.iter().map(|x| (x - theta).max(0.0)).collect()
}

/// Solves the square system `m x = rhs` (Gaussian elimination with partial pivoting); None
/// when `m` is singular.
pub(crate) fn solve_square(mut m: Vec<Vec<f64>>, mut rhs: Vec<f64>) -> Option<Vec<f64>> {
    let n = rhs.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        if m[pivot][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, pivot);
        rhs.swap(col, pivot);
        for r in 0..n {
            if r != col {
                let f = m[r][col] / m[col][col];
                if f != 0.0 {
                    let pivot_row = m[col].clone();
                    for (x, p) in m[r][col..].iter_mut().zip(&pivot_row[col..]) {
                        *x -= f * p;
                    }
                    rhs[r] -= f * rhs[col];
                }
            }
        }
    }
    Some((0..n).map(|r| rhs[r] / m[r][r]).collect())
}

/// Least squares `min ‖Bᵀp − q‖²` subject to `Σp = 1`, over the classes in `support` (the
/// other classes held at 0), by its KKT system; None when singular.
fn constrained_ls(a: &[Vec<f64>], q: &[f64], support: &[usize]) -> Option<Vec<f64>> {
    let s = support.len();
    let k = q.len();
    // [2 B Bᵀ  1] [p]   [2 B q]
    // [1ᵀ      0] [λ] = [  1  ]
    let mut m = vec![vec![0.0; s + 1]; s + 1];
    let mut rhs = vec![0.0; s + 1];
    for (i, &ti) in support.iter().enumerate() {
        for (j, &tj) in support.iter().enumerate() {
            m[i][j] = 2.0 * (0..k).map(|c| a[ti][c] * a[tj][c]).sum::<f64>();
        }
        m[i][s] = 1.0;
        m[s][i] = 1.0;
        rhs[i] = 2.0 * (0..k).map(|c| a[ti][c] * q[c]).sum::<f64>();
    }
    rhs[s] = 1.0;
    let x = solve_square(m, rhs)?;
    let mut p = vec![0.0; k];
    for (i, &t) in support.iter().enumerate() {
        p[t] = x[i];
    }
    Some(p)
}

/// Solves `Aᵀp ≈ q` for `p` on the simplex: least squares with the shares summing to 1 and
/// none negative. With few labels (up to 8) exactly, by trying every support and keeping the
/// best feasible solution; with more, by projected gradient.
pub fn adjust(a: &[Vec<f64>], q: &[f64]) -> Vec<f64> {
    let k = q.len();
    let objective = |p: &[f64]| -> f64 {
        (0..k)
            .map(|c| {
                let r = (0..k).map(|t| a[t][c] * p[t]).sum::<f64>() - q[c];
                r * r
            })
            .sum()
    };
    if k <= 8 {
        // The full support first: when its solution is feasible it is the answer.
        let full: Vec<usize> = (0..k).collect();
        if let Some(p) = constrained_ls(a, q, &full) {
            if p.iter().all(|&x| x >= -1e-12) {
                return p.into_iter().map(|x| x.max(0.0)).collect();
            }
        }
        let mut best: Option<(f64, Vec<f64>)> = None;
        for mask in 1u32..(1 << k) - 1 {
            let support: Vec<usize> = (0..k).filter(|&t| mask & (1 << t) != 0).collect();
            if let Some(p) = constrained_ls(a, q, &support) {
                if p.iter().all(|&x| x >= -1e-12) {
                    let p: Vec<f64> = p.into_iter().map(|x| x.max(0.0)).collect();
                    let f = objective(&p);
                    if best.as_ref().is_none_or(|(b, _)| f < *b - 1e-15) {
                        best = Some((f, p));
                    }
                }
            }
        }
        if let Some((_, p)) = best {
            return p;
        }
    }
    let frob: f64 = a.iter().flatten().map(|x| x * x).sum();
    let step = 1.0 / frob.max(1e-12);
    let mut p = project_simplex(q);
    for _ in 0..5000 {
        // r = Aᵀp − q;  gradient = A r
        let r: Vec<f64> = (0..k)
            .map(|c| (0..k).map(|t| a[t][c] * p[t]).sum::<f64>() - q[c])
            .collect();
        let g: Vec<f64> = (0..k)
            .map(|t| (0..k).map(|c| a[t][c] * r[c]).sum::<f64>())
            .collect();
        let next = project_simplex(
            &p.iter()
                .zip(&g)
                .map(|(x, d)| x - step * d)
                .collect::<Vec<_>>(),
        );
        let moved: f64 = next.iter().zip(&p).map(|(a, b)| (a - b).abs()).sum();
        p = next;
        if moved < 1e-12 {
            break;
        }
    }
    p
}
