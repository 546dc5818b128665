import Foundation

/// Rotary position embedding (Su et al. 2021) in Hugging Face's "rotate half" layout: within a
/// head of width h, element i is paired with element i + h/2 and the pair is rotated by
/// pos · θ^(−2i/h).
public struct RotaryEmbedding: Sendable {
  public let headDim: Int
  public let maxPositions: Int
  /// cos and sin tables, (maxPositions, headDim/2).
  let cosTable: [Float]
  let sinTable: [Float]

  public init(headDim: Int, maxPositions: Int, theta: Float) {
    self.headDim = headDim
    self.maxPositions = maxPositions
    let half = headDim / 2
    var cosValues = [Float](repeating: 0, count: maxPositions * half)
    var sinValues = cosValues
    for i in 0..<half {
      // Frequencies as HF computes them, in Float32: 1 / θ^(2i/h).
      let inverseFrequency = 1 / Float(pow(Double(theta), Double(2 * i) / Double(headDim)))
      for position in 0..<maxPositions {
        let angle = Float(position) * inverseFrequency
        cosValues[position * half + i] = cos(angle)
        sinValues[position * half + i] = sin(angle)
      }
    }
    cosTable = cosValues
    sinTable = sinValues
  }

  /// Rotates, in place, `heads` heads of every token row. Row r has position r mod `sequence`;
  /// consecutive rows are `rowStride` floats apart. `inverse` applies the transposed rotation
  /// (the backward pass, since the rotation is orthogonal).
  func apply(
    _ x: UnsafeMutablePointer<Float>, rows: Int, sequence: Int, heads: Int, rowStride: Int,
    inverse: Bool = false
  ) {
    let half = headDim / 2
    let sign: Float = inverse ? -1 : 1
    cosTable.withUnsafeBufferPointer { cosBuffer in
      sinTable.withUnsafeBufferPointer { sinBuffer in
        for r in 0..<rows {
          let position = r % sequence
          let c = cosBuffer.baseAddress! + position * half
          let s = sinBuffer.baseAddress! + position * half
          for head in 0..<heads {
            let v = x + r * rowStride + head * headDim
            for i in 0..<half {
              let a = v[i], b = v[i + half]
              let si = sign * s[i]
              v[i] = a * c[i] - b * si
              v[i + half] = b * c[i] + a * si
            }
          }
        }
      }
    }
  }
}
