import Aggregation
import Graphs

/// A scenario's privacy before it runs: the noise levels (calibrated when the scenario gives a
/// target ε) and the ε every honest client will have spent after the last round, assuming it
/// takes part in every round.
public struct PrivacyBudget: Sendable, Equatable {
  public let mechanism: PrivacyMechanism
  public let level: PrivacySection.Level
  public let clip: Double
  /// Private noise std (decor, ldp) or the std of the noise on the sum (cdp).
  public let sigmaCDP: Double
  public let sigmaCor: Double
  public let delta: Double
  public let rounds: Int
  /// Per client, nil for curious clients.
  public let epsilons: [Double?]
  public var worstEpsilon: Double { epsilons.compactMap { $0 }.max() ?? 0 }
}

extension Runner {
  /// The budget of a user-level private scenario, nil for a non-private one. Example-level
  /// budgets depend on every client's data size and are computed when the run starts.
  ///
  /// - Throws: the errors a run would stop with (unreachable targets, no honest client, …), and
  ///   `.unsupported` for example-level scenarios.
  public static func privacyBudget(for scenario: Scenario) throws(RunError) -> PrivacyBudget? {
    let aggregator: any Aggregator
    do { aggregator = try AggregatorRegistry.shared.make(scenario.aggregator.name, options: scenario.aggregator.options) } catch {
      throw .invalid(field: "aggregator", value: scenario.aggregator.name, reason: error.description)
    }
    guard aggregator.privacy != .none || scenario.privacy != nil else { return nil }
    if scenario.privacy?.level == .example {
      throw .unsupported(
        field: "privacy.level", value: "example", reason: "the budget needs the clients' data sizes: it is computed when the run starts")
    }
    let decentralized = scenario.schedule.mode == .gossip || scenario.schedule.mode == .asynchronousGossip
    let varies = TopologyBuilder.varies(scenario.topology) && scenario.schedule.mode == .gossip
    let graph: Graph? =
      decentralized && !varies ? try TopologyBuilder.graph(scenario.topology, clients: scenario.clients, seed: scenario.seed) : nil
    guard
      let plan = try PrivacyPlan.make(
        scenario.privacy, mechanism: aggregator.privacy, aggregator: scenario.aggregator.name, graph: graph, clients: scenario.clients,
        rounds: scenario.schedule.rounds, localSteps: scenario.schedule.localSteps, batchSize: scenario.schedule.batchSize,
        examples: [Int](repeating: 1, count: scenario.clients), seed: scenario.seed)
    else { return nil }
    return PrivacyBudget(
      mechanism: plan.mechanism, level: plan.level, clip: plan.clip, sigmaCDP: plan.sigmaCDP, sigmaCor: plan.sigmaCor, delta: plan.delta,
      rounds: scenario.schedule.rounds,
      epsilons: (0..<scenario.clients).map { plan.epsilon(client: $0, rounds: scenario.schedule.rounds) })
  }
}
