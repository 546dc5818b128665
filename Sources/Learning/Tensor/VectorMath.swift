// Vectorised elementwise helpers. Scalar `expf` calls and strict-order reductions do not
// vectorise (see docs/performance.md); these work on SIMD8 lanes with unaligned loads and a scalar
// tail, and sum in lane order (results differ from a strict left-to-right sum by rounding only).

@usableFromInline typealias Lanes = SIMD8<Float>

@inlinable @inline(__always)
func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }

@inlinable @inline(__always)
func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self) }

/// e^x on eight lanes: Cody–Waite range reduction x = n·ln2 + r, a degree-6 Taylor polynomial on
/// |r| ≤ ln2/2 (relative error ≈ 2e-7), and 2ⁿ assembled in the exponent bits. Inputs are clamped
/// to the normal range, so e^x underflows to ≈1e-38 rather than to zero.
@inlinable @inline(__always)
func exp(_ x: Lanes) -> Lanes {
  let high = Lanes(repeating: 88.3762626647949), low = Lanes(repeating: -87.3365447505531)
  let clamped = x.replacing(with: high, where: x .> high).replacing(with: low, where: x .< low)
  // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits (no float→int conversion).
  let magic = Lanes(repeating: 12_582_912)
  let shifted = clamped * 1.442_695_040_888_963_4 + magic
  let n = shifted - magic
  let r = clamped - n * 0.693_145_751_953_125 - n * 1.428_606_765_330_187e-06
  var p = r * (1.0 / 720) + (1.0 / 120)
  p = p * r + (1.0 / 24)
  p = p * r + (1.0 / 6)
  p = p * r + 0.5
  p = p * r + 1
  p = p * r + 1
  let bits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
  return p * unsafeBitCast((bits &+ 127) &<< 23, to: Lanes.self)
}

/// Scalar version of the same approximation, for tails (keeps results independent of alignment).
@inlinable @inline(__always)
func exp1(_ x: Float) -> Float { exp(Lanes(repeating: x))[0] }

/// Maximum of p[0..<count] (count ≥ 1).
@inlinable
func vectorMax(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
  var i = 0
  var best = Lanes(repeating: -.infinity)
  while i + 8 <= count {
    let v = load(p + i)
    best = best.replacing(with: v, where: v .> best)
    i += 8
  }
  var result = best.max()
  while i < count {
    result = max(result, p[i])
    i += 1
  }
  return result
}

/// p[i] = e^(p[i] − shift); returns Σ p[i].
@inlinable
func exponentiate(_ p: UnsafeMutablePointer<Float>, _ count: Int, shift: Float) -> Float {
  var i = 0
  var sum = Lanes()
  let s = Lanes(repeating: shift)
  while i + 8 <= count {
    let e = exp(load(p + i) - s)
    store(e, p + i)
    sum += e
    i += 8
  }
  var total = sum.sum()
  while i < count {
    let e = exp1(p[i] - shift)
    p[i] = e
    total += e
    i += 1
  }
  return total
}

/// p[i] *= factor.
@inlinable
func scale(_ p: UnsafeMutablePointer<Float>, _ count: Int, by factor: Float) {
  var i = 0
  while i + 8 <= count {
    store(load(p + i) * factor, p + i)
    i += 8
  }
  while i < count {
    p[i] *= factor
    i += 1
  }
}

/// Σ a[i]·b[i].
@inlinable
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
  var i = 0
  var sum = Lanes()
  while i + 8 <= count {
    sum += load(a + i) * load(b + i)
    i += 8
  }
  var total = sum.sum()
  while i < count {
    total += a[i] * b[i]
    i += 1
  }
  return total
}
