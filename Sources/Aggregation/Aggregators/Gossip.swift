/// Decentralized SGD by gossip (D-PSGD, Lian et al. 2017): every client takes local steps, then
/// averages its adapter with its graph neighbours' using the topology's mixing weights,
/// x_i ← Σ_j W_ij x_j. With a doubly stochastic W the network average is preserved exactly and
/// the consensus distance contracts at the rate of W's second-largest eigenvalue modulus.
/// Synchronous or asynchronous according to the scenario's schedule (`gossip`, `async-gossip`).
public struct Gossip: Aggregator {
  public static let name = "gossip"

  public let sharing: TensorFilter

  public init(options: AggregatorOptions) throws(AggregatorError) { sharing = try TensorFilter(options: options) }

  public var communication: Communication { .neighbours }

  public func shares(tensor name: String) -> Bool { sharing.shares(name) }
}
