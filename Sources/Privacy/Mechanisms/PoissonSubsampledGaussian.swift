#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The sampled Gaussian mechanism: each record enters the batch independently with probability q
/// (Poisson sampling), the batch sum (ℓ₂-sensitivity 1 under adding or removing one record) gets
/// N(0, σ² I) noise. Its RDP is (Mironov, Talwar, Zhang, "Rényi differential privacy of the
/// sampled Gaussian mechanism", arXiv:1908.10530, 2019)
///
///     ε(α) = log(A_α)/(α − 1),   A_α = E_{z∼μ₀}[(μ(z)/μ₀(z))^α],
///     μ₀ = N(0, σ²),  μ = (1 − q) μ₀ + q N(1, σ²).
///
/// Integer α (Section 3.2): A_α = Σ_{k=0}^{α} C(α, k) (1 − q)^{α−k} q^k exp((k² − k)/(2σ²)).
/// Fractional α (Section 3.3): A_α = A₀ + A₁ with z₀ = σ² log(1/q − 1) + ½ and
///
///     A₀ = Σ_{k≥0} C(α, k) q^k (1 − q)^{α−k} e^{(k² − k)/(2σ²)} · ½ erfc((k − z₀)/(√2 σ)),
///     A₁ = Σ_{k≥0} C(α, k) q^{α−k} (1 − q)^k e^{((α−k)² − (α−k))/(2σ²)} · ½ erfc((z₀ − (α − k))/(√2 σ)),
///
/// where C(α, k) is the generalised binomial coefficient (its sign alternates once k > α + 1).
/// Both sums are evaluated in log space, positive and negative terms apart, until the terms are
/// below e⁻⁴⁰ of the running total and decreasing.
public enum PoissonSubsampledGaussian {
  /// The most terms of the fractional-order series; not reached for σ ≥ 0.1 at the default orders.
  static let maximumSeriesTerms = 100_000

  /// ε(α) for rate q ∈ [0, 1], noise multiplier σ ≥ 0 and order α > 1. q = 0 gives 0, σ = 0 gives
  /// +∞, q = 1 gives the Gaussian mechanism's α/(2σ²). A fractional series that has not
  /// converged within `maximumSeriesTerms` gives +∞, which drops the order from any conversion.
  public static func rdp(order alpha: Double, samplingRate q: Double, noiseMultiplier sigma: Double) throws(AccountantError) -> Double {
    try AccountantError.requireOrder(alpha)
    try AccountantError.requireRate(q, name: "sampling rate", allowZero: true)
    try AccountantError.requireNonNegative(sigma, name: "noise multiplier")
    if q == 0 { return 0 }
    if sigma == 0 { return .infinity }
    if q == 1 { return alpha / (2 * sigma * sigma) }
    let logA =
      alpha.rounded() == alpha && alpha <= 1e6
      ? logAInteger(q: q, sigma: sigma, alpha: Int(alpha))
      : logAFractional(q: q, sigma: sigma, alpha: alpha)
    return max(0, logA / (alpha - 1))
  }

  /// The curve on `orders`.
  public static func curve(
    samplingRate q: Double, noiseMultiplier sigma: Double, orders: [Double] = RDPCurve.defaultOrders
  ) throws(AccountantError) -> RDPCurve {
    var values: [Double] = []
    values.reserveCapacity(orders.count)
    for order in orders { values.append(try rdp(order: order, samplingRate: q, noiseMultiplier: sigma)) }
    return try RDPCurve(orders: orders, values: values)
  }

  // MARK: Series

  /// log A_α for an integer α ≥ 2 (binomial expansion, terms in log space).
  static func logAInteger(q: Double, sigma: Double, alpha: Int) -> Double {
    let logQ = log(q), log1mQ = log1p(-q), twoVariance = 2 * sigma * sigma
    var logBinomial = 0.0  // log C(α, k), updated incrementally
    var total = -Double.infinity
    for k in 0...alpha {
      if k > 0 { logBinomial += log(Double(alpha - k + 1) / Double(k)) }
      let kk = Double(k)
      let term = logBinomial + kk * logQ + Double(alpha - k) * log1mQ + (kk * kk - kk) / twoVariance
      total = LogSpace.add(total, term)
    }
    return total
  }

  /// log A_α for a fractional α > 1 (two-sided series of Section 3.3).
  static func logAFractional(q: Double, sigma: Double, alpha: Double) -> Double {
    let logQ = log(q), log1mQ = log1p(-q), twoVariance = 2 * sigma * sigma
    let z0 = sigma * sigma * log(1 / q - 1) + 0.5
    let scale = 1 / (2.0.squareRoot() * sigma)
    var positive = -Double.infinity, negative = -Double.infinity
    var logBinomial = 0.0, sign = 1.0  // log |C(α, k)| and its sign
    var previous = Double.infinity
    for k in 0..<maximumSeriesTerms {
      if k > 0 {
        let factor = (alpha - Double(k) + 1) / Double(k)
        logBinomial += log(abs(factor))
        if factor < 0 { sign = -sign }
      }
      let i = Double(k), j = alpha - i
      let logE0 = -log(2.0) + LogSpace.logErfc((i - z0) * scale)
      let logE1 = -log(2.0) + LogSpace.logErfc((z0 - j) * scale)
      let s0 = logBinomial + i * logQ + j * log1mQ + (i * i - i) / twoVariance + logE0
      let s1 = logBinomial + j * logQ + i * log1mQ + (j * j - j) / twoVariance + logE1
      if logBinomial == -.infinity { break }  // integer α: C(α, k) = 0 from k = α + 1 on
      let term = LogSpace.add(s0, s1)
      if sign > 0 { positive = LogSpace.add(positive, term) } else { negative = LogSpace.add(negative, term) }
      // Past k > α + 1 the terms alternate; stop once they are negligible and shrinking.
      if i > alpha + 1, term < previous, term < positive - 40 {
        return negative < positive ? LogSpace.subtract(positive, negative) : -.infinity
      }
      previous = term
      if k == maximumSeriesTerms - 1 { return .infinity }
    }
    return negative < positive ? LogSpace.subtract(positive, negative) : -.infinity
  }
}
