import Foundation

// SwiGLU (Shazeer 2020): act = silu(gate) ⊙ up, silu(g) = g·σ(g).

@inlinable
func swiGLUForward(
  gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int
) {
  for i in 0..<count {
    let g = gate[i]
    out[i] = g / (1 + expf(-g)) * up[i]
  }
}

/// Given dOut, writes dGate and dUp (overwriting).
/// dUp = dOut·silu(g); dGate = dOut·up·σ(g)·(1 + g·(1 − σ(g))).
@inlinable
func swiGLUBackward(
  gate: UnsafePointer<Float>, up: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
  dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int
) {
  for i in 0..<count {
    let g = gate[i]
    let sigmoid = 1 / (1 + expf(-g))
    let d = dOut[i]
    dUp[i] = d * g * sigmoid
    dGate[i] = d * up[i] * sigmoid * (1 + g * (1 - sigmoid))
  }
}
