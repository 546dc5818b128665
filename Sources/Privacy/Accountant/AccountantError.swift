/// Why an accountant could not give a guarantee: a parameter outside its domain, an adversary
/// that does not fit the graph, or a covariance that cannot be inverted. Each case names the
/// parameter, the value and what was expected.
public enum AccountantError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A scalar parameter outside its domain (σ < 0, C ≤ 0, T < 1, δ ∉ (0, 1), …).
  case invalidParameter(name: String, value: String, expected: String)
  /// A curious user id outside the graph's nodes.
  case curiousOutOfRange(id: Int, nodeCount: Int)
  /// A curious user listed twice.
  case duplicateCurious(id: Int)
  /// Every user is curious: there is nobody left to protect.
  case noHonestUsers(nodeCount: Int, curiousCount: Int)
  /// Σ_H = σ_cdp² I + σ_cor² L_H is singular: σ_cdp = 0 (L_H always has the constant vector of
  /// each component in its kernel), or, in floating point, LAPACK `dpotrf` found a non-positive
  /// pivot at `leadingMinor` (1-based); `leadingMinor` is nil when σ_cdp = 0 or when the
  /// condition bound 1 + 2Δ σ_cor²/σ_cdp² exceeds 10¹³ (Δ: largest honest degree), where the
  /// factorisation would return rounding noise.
  case singularCovariance(sigmaCDP: Double, sigmaCor: Double, leadingMinor: Int?, honestCount: Int)
  /// The honest set is larger than LAPACK's 32-bit interface can address.
  case tooLarge(honestCount: Int, limit: Int)
  /// A LAPACK routine failed in a way that is not a singular covariance.
  case lapack(routine: String, info: Int)

  public var description: String {
    switch self {
    case .invalidParameter(let name, let value, let expected):
      return "\(name) = \(value), expected \(expected)"
    case .curiousOutOfRange(let id, let nodeCount):
      return "curious user \(id) is out of range 0..<\(nodeCount), expected node ids of the graph"
    case .duplicateCurious(let id):
      return "curious user \(id) is listed twice, expected each id once"
    case .noHonestUsers(let nodeCount, let curiousCount):
      return "all \(nodeCount) users are curious (\(curiousCount) listed), expected at least one honest user"
    case .singularCovariance(let sigmaCDP, let sigmaCor, let minor, let honestCount):
      let hint =
        sigmaCDP == 0
        ? "σ_cdp = 0 leaves only σ_cor² L_H, and a Laplacian is singular"
        : "σ_cdp = \(sigmaCDP) is negligible next to σ_cor = \(sigmaCor)"
      let detail = minor.map { " (dpotrf: leading minor \($0) is not positive)" } ?? ""
      return "the noise covariance Σ_H = σ_cdp² I + σ_cor² L_H (\(honestCount) honest users) is singular"
        + "\(detail): \(hint); expected σ_cdp > 0 and σ_cor/σ_cdp below ~10⁷"
    case .tooLarge(let honestCount, let limit):
      return "\(honestCount) honest users, expected at most \(limit) (LAPACK's 32-bit interface)"
    case .lapack(let routine, let info) where info < 0:
      return "LAPACK \(routine): argument \(-info) had an illegal value"
    case .lapack(let routine, let info):
      return "LAPACK \(routine) failed (info = \(info))"
    }
  }
}

// MARK: Checks shared by the accountants

extension AccountantError {
  static func invalid(_ name: String, _ value: some CustomStringConvertible, expected: String) -> AccountantError {
    .invalidParameter(name: name, value: value.description, expected: expected)
  }

  /// δ (or another probability) strictly inside (0, 1).
  static func requireProbability(_ value: Double, name: String) throws(AccountantError) {
    guard value > 0 && value < 1 else { throw invalid(name, value, expected: "a number in (0, 1)") }
  }

  /// A rate in (0, 1], or [0, 1] when `allowZero`.
  static func requireRate(_ value: Double, name: String, allowZero: Bool) throws(AccountantError) {
    let ok = allowZero ? (value >= 0 && value <= 1) : (value > 0 && value <= 1)
    guard ok else { throw invalid(name, value, expected: allowZero ? "a rate in [0, 1]" : "a rate in (0, 1]") }
  }

  /// A finite number ≥ 0.
  static func requireNonNegative(_ value: Double, name: String) throws(AccountantError) {
    guard value >= 0 && value.isFinite else { throw invalid(name, value, expected: "a finite number ≥ 0") }
  }

  /// A finite number > 0.
  static func requirePositive(_ value: Double, name: String) throws(AccountantError) {
    guard value > 0 && value.isFinite else { throw invalid(name, value, expected: "a finite number > 0") }
  }

  /// A step count ≥ 1.
  static func requireSteps(_ steps: Int) throws(AccountantError) {
    guard steps >= 1 else { throw invalid("steps", steps, expected: "at least 1") }
  }

  /// A finite Rényi order > 1.
  static func requireOrder(_ order: Double) throws(AccountantError) {
    guard order > 1 && order.isFinite else { throw invalid("order", order, expected: "a finite order > 1") }
  }
}
