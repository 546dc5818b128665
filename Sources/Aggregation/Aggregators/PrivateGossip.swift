/// Decor (Allouah et al., "The Privacy Power of Correlated Noise in Decentralized Learning",
/// ICML 2024): every client clips its update, adds private Gaussian noise of std σ_cdp and, for
/// each neighbour, a Gaussian vector of std σ_cor drawn from the secret the two share — added by
/// the lower id and subtracted by the higher — then gossips with the topology's mixing weights.
/// The correlated parts cancel in the network sum, so the average carries only σ_cdp²/n noise.
/// Noise levels, clipping and δ come from the scenario's `privacy` section.
public struct Decor: Aggregator {
  public static let name = "decor"

  public let sharing: TensorFilter

  public init(options: AggregatorOptions) throws(AggregatorError) { sharing = try TensorFilter(options: options) }

  public var communication: Communication { .neighbours }

  public func shares(tensor name: String) -> Bool { sharing.shares(name) }

  public var privacy: PrivacyMechanism { .correlated }
}

/// Local differential privacy over any graph: each client clips its update and adds independent
/// Gaussian noise (σ from the `privacy` section) before gossiping (Decor's LDP baseline,
/// σ_cor = 0).
public struct LocalDPGossip: Aggregator {
  public static let name = "ldp"

  public let sharing: TensorFilter

  public init(options: AggregatorOptions) throws(AggregatorError) { sharing = try TensorFilter(options: options) }

  public var communication: Communication { .neighbours }

  public func shares(tensor name: String) -> Bool { sharing.shares(name) }

  public var privacy: PrivacyMechanism { .local }
}
