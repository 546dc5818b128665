/// The noise of one Decor round and the clipping threshold it is calibrated to.
///
/// Every user adds private noise N(0, σ_cdp² I) and, on each edge, ±N(0, σ_cor² I) drawn from the
/// seed shared with that neighbour; across users the noise covariance (per coordinate) is
/// σ_cdp² I + σ_cor² L. Updates are clipped to ℓ₂-norm C, so replacing a user's data moves its
/// update by at most 2C.
public struct DecorNoise: Sendable, Hashable, CustomStringConvertible {
  /// σ_cdp: standard deviation of each user's private noise.
  public var sigmaCDP: Double
  /// σ_cor: standard deviation of the correlated noise on each edge.
  public var sigmaCor: Double
  /// C: the clipping threshold.
  public var clip: Double

  public init(sigmaCDP: Double, sigmaCor: Double, clip: Double = 1) {
    self.sigmaCDP = sigmaCDP
    self.sigmaCor = sigmaCor
    self.clip = clip
  }

  /// Throws unless σ_cdp ≥ 0, σ_cor ≥ 0 (finite) and C > 0 (finite). σ_cdp = 0 passes here and
  /// fails later as a singular covariance.
  public func validate() throws(AccountantError) {
    try AccountantError.requireNonNegative(sigmaCDP, name: "sigma_cdp")
    try AccountantError.requireNonNegative(sigmaCor, name: "sigma_cor")
    try AccountantError.requirePositive(clip, name: "clip")
  }

  public var description: String { "σ_cdp = \(sigmaCDP), σ_cor = \(sigmaCor), C = \(clip)" }
}

/// Who besides the eavesdropper attacks: curious users see every message and every seed on the
/// edges that touch them.
public enum CuriousUsers: Sendable, Hashable, CustomStringConvertible {
  /// An explicit set of user ids (empty: an external eavesdropper only).
  case users([Int])
  /// "Type II": the worst single curious user, max over c of the accountant with Curious = {c}.
  case worstSingle

  /// No curious user.
  public static let none = CuriousUsers.users([])

  public var description: String {
    switch self {
    case .users(let ids) where ids.isEmpty: return "none"
    case .users(let ids): return ids.map(String.init).joined(separator: ",")
    case .worstSingle: return "worst single"
    }
  }
}
