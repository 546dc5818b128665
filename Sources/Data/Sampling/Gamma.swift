import Randomness

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Gamma(shape, 1) variates by Marsaglia & Tsang, "A simple method for generating gamma
/// variables" (ACM TOMS 26(3), 2000).
///
/// For shape ≥ 1 the squeeze-and-reject method is used directly. For shape < 1 the "boost":
/// if G ~ Gamma(shape + 1) and U ~ Uniform(0, 1], then G·U^(1/shape) ~ Gamma(shape). The
/// logarithm is available separately because U^(1/shape) underflows to 0 for small shapes
/// (shape = 0.001 and U = 0.5 give 2^−1000), while its logarithm log(U)/shape is finite.
enum Gamma {
  /// log G with G ~ Gamma(shape, 1); finite for every shape > 0.
  static func logSample(shape: Double, using random: inout RandomStream) -> Double {
    if shape >= 1 { return log(marsagliaTsang(shape: shape, using: &random)) }
    let boosted = marsagliaTsang(shape: shape + 1, using: &random)
    let u = 1 - random.nextDouble()  // in (0, 1], so log(u) is finite
    return log(boosted) + log(u) / shape
  }

  /// G ~ Gamma(shape, 1); may underflow to 0 for shapes far below 1 (use `logSample` there).
  static func sample(shape: Double, using random: inout RandomStream) -> Double {
    if shape >= 1 { return marsagliaTsang(shape: shape, using: &random) }
    return exp(logSample(shape: shape, using: &random))
  }

  /// Marsaglia–Tsang for shape ≥ 1; the result is d·v with v > 0, so it is strictly positive.
  private static func marsagliaTsang(shape: Double, using random: inout RandomStream) -> Double {
    let d = shape - 1.0 / 3.0
    let c = 1.0 / (9.0 * d).squareRoot()
    while true {
      let x = random.nextGaussian()
      let t = 1.0 + c * x
      if t <= 0 { continue }
      let v = t * t * t
      let u = random.nextDouble()
      let x2 = x * x
      if u < 1.0 - 0.0331 * x2 * x2 { return d * v }  // the squeeze: no logarithm needed
      if u > 0, log(u) < 0.5 * x2 + d * (1.0 - v + log(v)) { return d * v }
    }
  }
}
