import Randomness

/// Decor's per-round noise for one user (Allouah et al. 2024): private Gaussian noise of variance
/// σ_cdp² from the user's own stream, plus for every neighbour j a Gaussian vector z_ij of
/// variance σ_cor² from the edge's keystream — added by the lower id and subtracted by the higher
/// one, so v_ij = −v_ji exactly and the correlated parts cancel in the network sum. Across users
/// the noise covariance per coordinate is σ_cdp² I + σ_cor² L.
public struct CorrelatedNoise: Sendable {
  public let sigmaCDP: Double
  public let sigmaCor: Double

  public init(sigmaCDP: Double, sigmaCor: Double) {
    self.sigmaCDP = sigmaCDP
    self.sigmaCor = sigmaCor
  }

  /// The correlated part for `user`: Σ_j ±σ_cor·z_ij over its edge keys, for `round`.
  public func correlated(user: Int, edges: [EdgeKey], round: Int, dimension: Int) throws(OpenSSLError) -> [Double] {
    var total = [Double](repeating: 0, count: dimension)
    for edge in edges.sorted(by: { ($0.low, $0.high) < ($1.low, $1.high) }) {
      guard edge.low == user || edge.high == user else { throw OpenSSLError("edge \(edge.low)–\(edge.high) does not touch user \(user)") }
      let sign: Double = edge.low == user ? 1 : -1
      let z = try Keystream.gaussians(key: edge.bytes, round: round, count: dimension)
      for i in 0..<dimension { total[i] += sign * sigmaCor * z[i] }
    }
    return total
  }

  /// Private plus correlated noise for `user` in `round`; the private part comes from the user's
  /// own counter-based stream (never from a shared seed).
  public func noise(user: Int, edges: [EdgeKey], round: Int, dimension: Int, seed: UInt64) throws(OpenSSLError) -> [Double] {
    var stream = RandomStream(
      seed: seed, purpose: .noise, client: UInt32(truncatingIfNeeded: user), round: UInt32(truncatingIfNeeded: round))
    var total = try correlated(user: user, edges: edges, round: round, dimension: dimension)
    for i in 0..<dimension { total[i] += sigmaCDP * stream.nextGaussian() }
    return total
  }
}
