#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Closed forms of the SecLDP accountant for a mechanism that is (α, αρ)-RDP per round.
public enum SecLDP {
  /// RDP after T rounds at order α: α T ρ.
  public static func rdp(order: Double, rho: Double, steps: Int) -> Double { order * Double(steps) * rho }

  /// ε(δ) = Tρ + 2√(Tρ ln(1/δ)): the classic conversion min_α [αTρ + ln(1/δ)/(α − 1)] in closed form.
  public static func epsilon(rho: Double, steps: Int, delta: Double) throws(AccountantError) -> Double {
    try check(rho: rho, steps: steps, delta: delta)
    let total = Double(steps) * rho
    return total + 2 * (total * -log(delta)).squareRoot()
  }

  /// The minimising order α* = 1 + √(ln(1/δ)/(Tρ)).
  public static func optimalOrder(rho: Double, steps: Int, delta: Double) throws(AccountantError) -> Double {
    try check(rho: rho, steps: steps, delta: delta)
    return 1 + (-log(delta) / (Double(steps) * rho)).squareRoot()
  }

  /// The per-round ρ* whose T-round guarantee is exactly (ε, δ):
  /// ρ* = (√(ln(1/δ) + ε) − √(ln(1/δ)))² / T.
  public static func targetRho(epsilon: Double, delta: Double, steps: Int) throws(AccountantError) -> Double {
    try AccountantError.requirePositive(epsilon, name: "epsilon")
    try AccountantError.requireProbability(delta, name: "delta")
    try AccountantError.requireSteps(steps)
    let l = -log(delta)
    // √(l + ε) − √l = ε / (√(l + ε) + √l), without cancellation for small ε.
    let root = epsilon / ((l + epsilon).squareRoot() + l.squareRoot())
    return root * root / Double(steps)
  }

  /// The exact (ε, δ) of T rounds of a mechanism whose privacy loss is Gaussian with
  /// (α, αρ)-RDP per round — as Decor's is: Gaussian noise on linear messages — by the analytic
  /// Gaussian curve with μ = √(2Tρ) (Balle & Wang 2018), instead of the paper's
  /// Tρ + 2√(Tρ ln 1/δ), which bounds it from above.
  public static func exactEpsilon(rho: Double, steps: Int, delta: Double) throws(AccountantError) -> Double {
    try check(rho: rho, steps: steps, delta: delta)
    return AnalyticGaussian.epsilon(delta: delta, mu: (2 * Double(steps) * rho).squareRoot())
  }

  /// The per-round ρ whose T-round exact guarantee is (ε, δ): μ²/(2T) with μ the analytic
  /// Gaussian calibration.
  public static func exactTargetRho(epsilon: Double, delta: Double, steps: Int) throws(AccountantError) -> Double {
    try AccountantError.requirePositive(epsilon, name: "epsilon")
    try AccountantError.requireProbability(delta, name: "delta")
    try AccountantError.requireSteps(steps)
    let mu = AnalyticGaussian.mu(epsilon: epsilon, delta: delta)
    return mu * mu / (2 * Double(steps))
  }

  /// The LDP noise level reaching ρ: 2C²/σ² = ρ ⇒ σ = C √(2/ρ). Also the "σ-equivalent" of a
  /// Decor setting with loss ρ.
  public static func ldpSigma(rho: Double, clip: Double) throws(AccountantError) -> Double {
    try AccountantError.requirePositive(rho, name: "rho")
    try AccountantError.requirePositive(clip, name: "clip")
    return clip * (2 / rho).squareRoot()
  }

  /// The per-user σ_cdp for which the CDP level 2C²/(n_H σ²) equals ρ: σ = C √(2/(n_H ρ)).
  public static func cdpSigma(rho: Double, clip: Double, honestCount: Int) throws(AccountantError) -> Double {
    guard honestCount >= 1 else { throw .invalid("honest count", honestCount, expected: "at least 1") }
    return try ldpSigma(rho: rho, clip: clip) / Double(honestCount).squareRoot()
  }

  private static func check(rho: Double, steps: Int, delta: Double) throws(AccountantError) {
    try AccountantError.requirePositive(rho, name: "rho")
    try AccountantError.requireSteps(steps)
    try AccountantError.requireProbability(delta, name: "delta")
  }
}

/// A SecLDP guarantee over T rounds: (α, αTρ)-RDP at every order, hence (ε, δ)-DP with
/// ε = Tρ + 2√(Tρ ln(1/δ)) at the order α* = 1 + √(ln(1/δ)/(Tρ)).
public struct SecLDPGuarantee: Sendable, Hashable {
  public let step: SecLDPStepLoss
  /// T.
  public let steps: Int
  public let delta: Double
  public let epsilon: Double
  /// α*.
  public let optimalOrder: Double

  public init(step: SecLDPStepLoss, steps: Int, delta: Double) throws(AccountantError) {
    self.step = step
    self.steps = steps
    self.delta = delta
    epsilon = try SecLDP.epsilon(rho: step.rho, steps: steps, delta: delta)
    optimalOrder = try SecLDP.optimalOrder(rho: step.rho, steps: steps, delta: delta)
  }

  /// Per-round ρ.
  public var rho: Double { step.rho }

  /// RDP after T rounds at order α: α T ρ.
  public func rdp(order: Double) -> Double { SecLDP.rdp(order: order, rho: step.rho, steps: steps) }
}
