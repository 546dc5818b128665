// SwiGLU (Shazeer 2020): act = silu(gate) ⊙ up, silu(g) = g·σ(g).

@inlinable @inline(__always)
func sigmoid(_ g: Lanes) -> Lanes { 1 / (1 + exp(-g)) }

@inlinable
func swiGLUForward(
  gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int
) {
  var i = 0
  while i + 8 <= count {
    let g = load(gate + i)
    store(g * sigmoid(g) * load(up + i), out + i)
    i += 8
  }
  while i < count {
    let g = gate[i]
    out[i] = g / (1 + exp1(-g)) * up[i]
    i += 1
  }
}

/// Given dOut, writes dGate and dUp (overwriting).
/// dUp = dOut·silu(g); dGate = dOut·up·σ(g)·(1 + g·(1 − σ(g))).
@inlinable
func swiGLUBackward(
  gate: UnsafePointer<Float>, up: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
  dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int
) {
  var i = 0
  while i + 8 <= count {
    let g = load(gate + i), d = load(dOut + i)
    let s = sigmoid(g)
    store(d * g * s, dUp + i)
    store(d * load(up + i) * s * (1 + g * (1 - s)), dGate + i)
    i += 8
  }
  while i < count {
    let g = gate[i]
    let s = 1 / (1 + exp1(-g))
    let d = dOut[i]
    dUp[i] = d * g * s
    dGate[i] = d * up[i] * s * (1 + g * (1 - s))
    i += 1
  }
}

/// SwiGLU over (rows, [gate | up]) packed rows of width 2·width; act is (rows, width).
func swiGLUForward(packed: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
  for r in 0..<rows {
    let row = packed + r * 2 * width
    swiGLUForward(gate: row, up: row + width, out: out + r * width, count: width)
  }
}

/// Backward of the packed SwiGLU: writes (rows, [dGate | dUp]).
func swiGLUBackward(packed: UnsafePointer<Float>, dOut: UnsafePointer<Float>, dPacked: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
  for r in 0..<rows {
    let row = packed + r * 2 * width, dRow = dPacked + r * 2 * width
    swiGLUBackward(gate: row, up: row + width, dOut: dOut + r * width, dGate: dRow, dUp: dRow + width, count: width)
  }
}
