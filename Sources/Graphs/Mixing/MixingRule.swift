/// How a node weighs itself and its neighbours in one gossip (consensus) step x ← W x.
///
/// All three rules put weight only on the node itself and its graph neighbours, and make every
/// row sum to 1. Writing dᵢ for the degree of node i and Δ for the maximum degree:
public enum MixingRule: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
  /// Metropolis–Hastings: W_ij = 1 / (1 + max(dᵢ, dⱼ)) on edges, W_ii = 1 − Σⱼ W_ij.
  /// Symmetric and doubly stochastic on every graph, with a positive diagonal; needs only the
  /// neighbours' degrees. On a d-regular graph it is (I + A)/(d + 1).
  case metropolisHastings = "metropolis-hastings"

  /// Uniform over the closed neighbourhood: W_ij = 1/(dᵢ + 1) for j a neighbour or j = i.
  /// Row stochastic on every graph, but symmetric (and hence doubly stochastic, so that gossip
  /// preserves the average) only on regular graphs; elsewhere it converges to a
  /// degree-weighted average instead of the plain one.
  case uniform = "uniform"

  /// Maximum degree: W = I − L/(Δ + 1), i.e. W_ij = 1/(Δ + 1) on edges and
  /// W_ii = 1 − dᵢ/(Δ + 1). Symmetric and doubly stochastic; needs the global maximum degree.
  case maxDegree = "max-degree"

  public var description: String { rawValue }
}
