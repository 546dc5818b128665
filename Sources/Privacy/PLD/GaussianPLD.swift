#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The Gaussian mechanism's exact (ε, δ) curve — "the analytic Gaussian mechanism" (Balle & Wang,
/// ICML 2018, Theorem 8): a mechanism whose privacy loss is N(μ²/2, μ²) (μ-GDP; the Gaussian
/// mechanism with sensitivity Δ and noise σ has μ = Δ/σ, T runs of it μ√T) satisfies exactly
///
///     δ(ε) = Φ(μ/2 − ε/μ) − e^ε Φ(−μ/2 − ε/μ).
///
/// No bound is involved, so this is what a PLD accountant converges to for Gaussian noise.
public enum AnalyticGaussian {
  static func phi(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

  /// log Φ(z), accurate where Φ(z) underflows (z < −37): the asymptotic series of Mills' ratio,
  /// log Φ(z) = −z²/2 − log(−z√(2π)) + log(1 − 1/z² + 3/z⁴ − 15/z⁶ + 105/z⁸).
  static func logPhi(_ z: Double) -> Double {
    if z > -30 { return log(phi(z)) }
    let w = 1 / (z * z)
    return -0.5 * z * z - log(-z * (2 * Double.pi).squareRoot()) + log1p(w * (-1 + w * (3 + w * (-15 + w * 105))))
  }

  /// δ(ε) for a μ-GDP loss (μ ≥ 0; μ = 0 gives 0, μ = ∞ gives 1).
  public static func delta(epsilon: Double, mu: Double) -> Double {
    guard mu > 0 else { return 0 }
    guard mu.isFinite else { return 1 }
    // e^ε Φ(−μ/2 − ε/μ) in log space: Φ is tiny exactly when e^ε is huge.
    let second = exp(epsilon + logPhi(-mu / 2 - epsilon / mu))
    return max(0, phi(mu / 2 - epsilon / mu) - second)
  }

  /// The smallest ε ≥ 0 with δ(ε) ≤ δ (bisection to 1e-12 relative; δ(ε) decreases in ε).
  public static func epsilon(delta target: Double, mu: Double) -> Double {
    guard delta(epsilon: 0, mu: mu) > target else { return 0 }
    guard mu.isFinite else { return .infinity }
    var low = 0.0, high = max(1.0, mu * mu)
    while delta(epsilon: high, mu: mu) > target { high *= 2 }
    for _ in 0..<200 {
      let middle = 0.5 * (low + high)
      if delta(epsilon: middle, mu: mu) > target { low = middle } else { high = middle }
      if high - low <= 1e-12 * high { break }
    }
    return high
  }

  /// The largest μ with δ(ε) ≤ δ: the calibration inverse (noise σ = Δ/μ for one release).
  public static func mu(epsilon: Double, delta target: Double) -> Double {
    var low = 0.0, high = 1.0
    while delta(epsilon: epsilon, mu: high) <= target { high *= 2 }
    for _ in 0..<200 {
      let middle = 0.5 * (low + high)
      if delta(epsilon: epsilon, mu: middle) <= target { low = middle } else { high = middle }
      if high - low <= 1e-12 * high { break }
    }
    return low
  }
}

/// PLDs of the Gaussian mechanisms (ℓ₂-sensitivity 1, noise multiplier σ) under "add or remove
/// one record": the Gaussian itself, and the Poisson-subsampled Gaussian, whose two orders of the
/// neighbouring pair are not symmetric and are accounted separately (the ε reported is the larger).
public enum GaussianPLD {
  /// Standard deviations kept on each side of the noise before the tails are dropped
  /// (Φ̄(8.3) ≈ 5e-17 per tail, folded pessimistically into the end points).
  static let tailSigmas = 8.3

  static func phi(_ z: Double) -> Double { AnalyticGaussian.phi(z) }
  static func phiBar(_ z: Double) -> Double { AnalyticGaussian.phi(-z) }

  /// The PLD of one Gaussian release (L ~ N(μ, 2μ), μ = 1/(2σ²)), connecting the dots of the
  /// analytic curve.
  public static func gaussian(noiseMultiplier sigma: Double, interval: Double) -> PrivacyLossDistribution {
    let mean = 1 / (2 * sigma * sigma), sd = (2 * mean).squareRoot()
    return .connectingTheDots(
      lower: mean - tailSigmas * sd, upper: mean + tailSigmas * sd, interval: interval,
      hockeyStick: { AnalyticGaussian.delta(epsilon: $0, mu: 1 / sigma) })
  }

  /// The two PLDs of one Poisson-subsampled Gaussian step (rate q ∈ (0, 1)), with
  /// M = (1 − q)N(0, σ²) + qN(1, σ²) and N₀ = N(0, σ²):
  /// `add` is the pair (M, N₀) — loss L(x) = log(1 − q + q·e^{(2x − 1)/(2σ²)}), x ~ M — and
  /// `remove` the pair (N₀, M) — loss −L(x), x ~ N₀ (dp-accounting's two cases). Each connects the
  /// dots of its exact hockey-stick curve δ(ε) = P(L > ε) − e^ε Q(L > ε).
  public static func poissonSubsampled(
    samplingRate q: Double, noiseMultiplier sigma: Double, interval: Double
  ) -> (add: PrivacyLossDistribution, remove: PrivacyLossDistribution) {
    let s2 = sigma * sigma
    // L(x), and the x at which L(x) = l (L increases in x, from log(1 − q) to ∞).
    func loss(_ x: Double) -> Double { log1p(q * expm1((2 * x - 1) / (2 * s2))) }
    func point(_ l: Double) -> Double {
      let inner = expm1(l) + q
      return inner <= 0 ? -.infinity : s2 * log(inner / q) + 0.5
    }
    func mixtureCDF(_ x: Double) -> Double { (1 - q) * phi(x / sigma) + q * phi((x - 1) / sigma) }
    func mixtureSurvival(_ x: Double) -> Double { (1 - q) * phiBar(x / sigma) + q * phiBar((x - 1) / sigma) }
    let xLow = -tailSigmas * sigma, xHigh = 1 + tailSigmas * sigma
    // {L > ε} = {x > point(ε)}: δ = M(x > t) − e^ε N₀(x > t).
    let add = PrivacyLossDistribution.connectingTheDots(
      lower: loss(xLow), upper: loss(xHigh), interval: interval,
      hockeyStick: { epsilon in
        let t = point(epsilon)
        return max(0, mixtureSurvival(t) - exp(epsilon) * phiBar(t / sigma))
      })
    // {−L > ε} = {x < point(−ε)}: δ = N₀(x < t) − e^ε M(x < t).
    let remove = PrivacyLossDistribution.connectingTheDots(
      lower: -loss(xHigh), upper: -loss(xLow), interval: interval,
      hockeyStick: { epsilon in
        let t = point(-epsilon)
        return t == -.infinity ? 0 : max(0, phi(t / sigma) - exp(epsilon) * mixtureCDF(t))
      })
    return (add, remove)
  }
}

/// DP-SGD by privacy loss distributions: T steps of the Poisson-subsampled Gaussian mechanism,
/// composed by FFT on a grid of step `interval` — tighter than RDP (which converts a bound), and
/// an upper bound itself (pessimistic discretisation). q = 1 uses the analytic Gaussian curve.
public enum PLDAccountant {
  /// dp-accounting's default discretisation interval.
  public static let defaultInterval = 1e-4

  /// ε(δ) after `steps` steps, the larger of the add and remove cases.
  public static func epsilon(
    noiseMultiplier sigma: Double, samplingRate q: Double, steps: Int, delta: Double, interval: Double = defaultInterval
  ) throws(AccountantError) -> Double {
    try check(sigma: sigma, q: q, steps: steps, interval: interval)
    try AccountantError.requireProbability(delta, name: "delta")
    if q == 0 { return 0 }
    if sigma == 0 { return .infinity }
    if q == 1 { return AnalyticGaussian.epsilon(delta: delta, mu: Double(steps).squareRoot() / sigma) }
    let (add, remove) = composed(sigma: sigma, q: q, steps: steps, interval: interval)
    return max(add.epsilon(delta: delta), remove.epsilon(delta: delta))
  }

  /// δ(ε) after `steps` steps, the larger of the add and remove cases.
  public static func delta(
    noiseMultiplier sigma: Double, samplingRate q: Double, steps: Int, epsilon: Double, interval: Double = defaultInterval
  ) throws(AccountantError) -> Double {
    try check(sigma: sigma, q: q, steps: steps, interval: interval)
    if q == 0 { return 0 }
    if sigma == 0 { return 1 }
    if q == 1 { return AnalyticGaussian.delta(epsilon: epsilon, mu: Double(steps).squareRoot() / sigma) }
    let (add, remove) = composed(sigma: sigma, q: q, steps: steps, interval: interval)
    return max(add.delta(epsilon: epsilon), remove.delta(epsilon: epsilon))
  }

  static func composed(sigma: Double, q: Double, steps: Int, interval: Double) -> (PrivacyLossDistribution, PrivacyLossDistribution) {
    let (add, remove) = GaussianPLD.poissonSubsampled(samplingRate: q, noiseMultiplier: sigma, interval: interval)
    return (add.selfComposed(steps), remove.selfComposed(steps))
  }

  static func check(sigma: Double, q: Double, steps: Int, interval: Double) throws(AccountantError) {
    try AccountantError.requireNonNegative(sigma, name: "noise multiplier")
    try AccountantError.requireRate(q, name: "sampling rate", allowZero: true)
    guard steps >= 1 else { throw AccountantError.invalidParameter(name: "steps", value: "\(steps)", expected: "at least 1") }
    guard interval > 0 && interval <= 1 else {
      throw AccountantError.invalidParameter(name: "discretisation interval", value: "\(interval)", expected: "in (0, 1]")
    }
  }
}
