import Data
import Foundation
import Randomness
import Testing

@testable import FedSim

/// `fedsim validate` must catch what `run` would refuse or crash on (issue: numbers you can trust).
@Suite struct ValidateCatchesTests {
  static let gossip = """
    name: g
    task: linear-regression
    clients: 6
    data: {source: {kind: decor-quadratic, dimension: 3}}
    topology: {kind: ring}
    schedule: {mode: gossip, rounds: 2, local_steps: 1, batch_size: 3, optimizer: {name: sgd}, lr: 0.01}
    aggregator: {name: gossip}
    """

  /// The first issue's path and message for the scenario with `overrides`, nil when it is valid.
  func problem(_ text: String = gossip, _ overrides: [String] = []) -> (path: String, message: String)? {
    do {
      _ = try ScenarioDecoder.decode(text, file: "s.yaml", overrides: overrides)
      return nil
    } catch { return error.issues.first.map { ($0.path, $0.message) } }
  }

  func edgeFile(_ text: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("edges-\(UUID().uuidString).txt")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }

  @Test func edgeListsAreReadAndCheckedByValidate() throws {
    let missing = problem(Self.gossip, ["topology={kind: edges, file: /nonexistent/edges.txt}"])
    #expect(
      missing?.path == "topology.file" && missing?.message.contains("/nonexistent/edges.txt") == true, "\(String(describing: missing))")
    let selfLoop = problem(Self.gossip, ["topology={kind: edges, file: \(try edgeFile("0 1\n1 1\n2 3\n3 4\n4 5\n5 0\n"))}"])
    #expect(selfLoop?.message.contains("self-loop") == true, "\(String(describing: selfLoop))")
    let outOfRange = problem(Self.gossip, ["topology={kind: edges, file: \(try edgeFile("0 1\n1 2\n2 3\n3 4\n4 5\n5 9\n"))}"])
    #expect(outOfRange?.message.contains("9") == true, "\(String(describing: outOfRange))")
    let disconnected = problem(Self.gossip, ["topology={kind: edges, file: \(try edgeFile("0 1\n1 2\n2 0\n3 4\n4 5\n5 3\n"))}"])
    #expect(disconnected?.message.contains("connected") == true, "\(String(describing: disconnected))")
    #expect(problem(Self.gossip, ["topology={kind: edges, file: \(try edgeFile("0 1\n1 2\n2 3\n3 4\n4 5\n5 0\n"))}"]) == nil)
    // Generated graphs too: a random graph that cannot be connected.
    let sparse = problem(Self.gossip, ["topology={kind: erdos-renyi, p: 0.000001}"])
    #expect(sparse?.path.hasPrefix("topology") == true)
  }

  @Test func subnormalAndOverflowingNumbersAreRefused() {
    let tiny = problem(Self.gossip, ["task=lora-lm", "data={source: {kind: markov}, partition: {kind: dirichlet, alpha: 1.0e-310}}"])
    #expect(tiny?.path == "data.partition.alpha", "\(String(describing: tiny))")
    let small = problem(Self.gossip, ["task=lora-lm", "data={source: {kind: markov}, partition: {kind: dirichlet, alpha: 1.0e-305}}"])
    #expect(small?.path == "data.partition.alpha")
    let huge = problem(
      Self.gossip,
      ["task=lora-lm", "clients=2", "data={source: {kind: markov}, partition: {kind: mixture, weights: [[1.0e+308, 1.0e+308], [1, 1]]}}"])
    #expect(huge?.path.hasPrefix("data.partition.weights") == true, "\(String(describing: huge))")
    // The library refuses them too, with a typed error rather than a trap.
    var stream = RandomStream(seed: 1, purpose: .data)
    #expect(throws: DataError.self) { try Dirichlet.sample(alpha: Double.leastNormalMagnitude / 100, count: 3, using: &stream) }
  }

  @Test func keysOfAKindThatIsNotSelectedAreReported() {
    let weights = problem(
      Self.gossip, ["task=lora-lm", "data={source: {kind: markov}, partition: {kind: dirichlet, weights: [[1, 0], [0, 1]]}}"])
    #expect(weights?.path == "data.partition.weights" && weights?.message.contains("mixture") == true, "\(String(describing: weights))")
    #expect(problem(Self.gossip, ["topology.rows=2"])?.path == "topology.rows")
    #expect(problem(Self.gossip, ["schedule.optimizer.beta1=0.8"])?.path == "schedule.optimizer.beta1")
    #expect(problem(Self.gossip, ["data.source.examples=30"])?.path == "data.source.examples")
    #expect(
      problem(Self.gossip, ["task=lora-lm", "data.source={kind: markov}", "model.base={checkpoint: x, dim: 64}"])?.path == "model.base.dim")
  }

  @Test func aTorusWithoutRowsIsTheSquarestGrid() throws {
    let scenario = try ScenarioDecoder.decode(
      Self.gossip, file: "s.yaml", overrides: ["clients=16", "topology={kind: torus}", "schedule.batch_size=3"])
    #expect(scenario.topology.parameters["rows"] == 4 && scenario.topology.parameters["columns"] == 4)
    let columns = try ScenarioDecoder.decode(Self.gossip, file: "s.yaml", overrides: ["topology={kind: torus, columns: 3}"])
    #expect(columns.topology.parameters["rows"] == 2)
  }

  @Test(arguments: ["../../x", "a/b", ".hidden", "..", "", "x y"])
  func runNamesThatArePathsAreRefused(name: String) {
    #expect(problem(Self.gossip, ["name=\"\(name)\""])?.path == "name", "\(name)")
  }

  @Test func plainRunNamesAreAccepted() {
    #expect(problem(Self.gossip, ["name=trust-domains_v2.1"]) == nil)
  }
}
