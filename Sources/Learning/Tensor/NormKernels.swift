import RealModule

// RMSNorm (Zhang & Sennrich 2019), as Llama uses it: y = w ⊙ x / √(mean(x²) + ε).
// Shapes: x, y (rows, dim); rstd (rows) keeps 1/√(mean(x²) + ε) for the backward pass.

/// Forward RMSNorm over `rows` rows of width `dim`.
@inlinable
func rmsNormForward(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
  rstd: UnsafeMutablePointer<Float>, rows: Int, dim: Int, eps: Float
) {
  for r in 0..<rows {
    let xr = x + r * dim, yr = y + r * dim
    var sumSquares: Float = 0
    for i in 0..<dim { sumSquares = Relaxed.multiplyAdd(xr[i], xr[i], sumSquares) }
    let scale = 1 / (sumSquares / Float(dim) + eps).squareRoot()
    rstd[r] = scale
    for i in 0..<dim { yr[i] = xr[i] * scale * weight[i] }
  }
}

/// Backward RMSNorm: dx += ∂L/∂x and, when given, dWeight += ∂L/∂w.
///
/// With x̂ = x·rstd and g = dy ⊙ w: dx = rstd · (g − x̂ · mean(g ⊙ x̂)), dw = Σ_rows dy ⊙ x̂.
@inlinable
func rmsNormBackward(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
  dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
  rows: Int, dim: Int
) {
  for r in 0..<rows {
    let xr = x + r * dim, dyr = dy + r * dim, dxr = dx + r * dim
    let scale = rstd[r]
    var dot: Float = 0
    for i in 0..<dim { dot = Relaxed.multiplyAdd(dyr[i] * weight[i], xr[i] * scale, dot) }
    let meanDot = dot / Float(dim)
    for i in 0..<dim {
      let xhat = xr[i] * scale
      dxr[i] += scale * (dyr[i] * weight[i] - xhat * meanDot)
    }
    if let dWeight {
      for i in 0..<dim { dWeight[i] += dyr[i] * xr[i] * scale }
    }
  }
}
