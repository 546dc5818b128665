#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Arithmetic on numbers held as their natural logarithms, for the sums of huge and tiny terms
/// that RDP bounds of subsampled mechanisms are made of. −∞ stands for 0.
enum LogSpace {
  /// log(eᵃ + eᵇ).
  static func add(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    let (high, low) = a >= b ? (a, b) : (b, a)
    if high == .infinity { return .infinity }
    return high + log1p(exp(low - high))
  }

  /// log(eᵃ − eᵇ) for a ≥ b; −∞ when a = b. A caller never passes a < b (that is a logic error,
  /// and the result is NaN).
  static func subtract(_ a: Double, _ b: Double) -> Double {
    if b == -.infinity { return a }
    return a + log1p(-exp(b - a))
  }

  /// log(1 + eˣ), without overflow for large x.
  static func onePlusExp(_ x: Double) -> Double {
    x > 35 ? x + log1p(exp(-x)) : log1p(exp(x))
  }

  /// log(erfc x), accurate in the far right tail where erfc underflows.
  ///
  /// For x < 25 it is `log(erfc(x))` (erfc(25) ≈ 8·10⁻²⁷⁴ is still a normal double). Beyond, the
  /// asymptotic expansion erfc x = e^{−x²}/(x√π) · (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶) + 105/(16x⁸) − …),
  /// whose first omitted term is below 10⁻¹³ there.
  static func logErfc(_ x: Double) -> Double {
    if x < 25 { return log(erfc(x)) }
    let u = 1 / (x * x)
    let series = u * (-0.5 + u * (0.75 + u * (-1.875 + u * 6.5625)))
    return -x * x - log(x) - 0.5 * log(Double.pi) + log1p(series)
  }
}
