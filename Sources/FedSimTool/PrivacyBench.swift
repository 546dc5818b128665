import ArgumentParser
import Foundation
import Graphs
import Privacy
import Randomness

/// The privacy machinery's speed: the SecLDP accountant on a large random graph, the worst single
/// curious user, and Decor's per-round noise (AES-256-CTR keystreams mapped to Gaussians).
struct PrivacyBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "privacy",
    abstract: "Time the SecLDP accountant on an Erdős–Rényi graph and Decor's noise generation.")

  @Option(help: "Nodes of the Erdős–Rényi graph.") var nodes: Int = 1000
  @Option(help: "Edge probability of the graph.") var p: Double = 0.02
  @Option(help: "Repetitions (the fastest is reported).") var repeats: Int = 3
  @Option(help: "Noise dimension (e.g. a LoRA adapter's size).") var dimension: Int = 100_000

  func run() throws {
    var stream = RandomStream(seed: 1, purpose: .graph)
    let graph: Graph
    do { graph = try .erdosRenyi(n: nodes, p: p, requireConnected: true, using: &stream) } catch {
      throw ValidationError("\(error)")
    }
    let accountant = SecLDPAccountant(graph: graph)
    let noise = DecorNoise(sigmaCDP: 1, sigmaCor: 10, clip: 1)
    func fastest(_ body: () throws -> Void) rethrows -> Double {
      var best = Double.infinity
      for _ in 0..<max(1, repeats) {
        let start = Date()
        try body()
        best = min(best, Date().timeIntervalSince(start))
      }
      return best
    }
    print("graph: Erdős–Rényi n = \(nodes), p = \(p), \(graph.edgeCount) edges")
    var rho = 0.0
    let exact = try fastest { rho = try accountant.stepLoss(noise: noise, curious: .none).rho }
    print(String(format: "accountant, no curious user:        %.3f s  (ρ = %.6g)", exact, rho))
    let worst = try fastest { rho = try accountant.stepLoss(noise: noise, curious: .worstSingle).rho }
    print(String(format: "accountant, worst single curious:   %.3f s  (ρ = %.6g)", worst, rho))
    let calibration = try fastest {
      let result = try accountant.calibrate(epsilon: 10, delta: 1e-5, steps: 100, clip: 1, curious: .none, sigmaCDP: 1)
      rho = result.correlated?.sigmaCor ?? .nan
    }
    print(String(format: "calibration of σ_cor (ε = 10, T = 100): %.3f s  (σ_cor = %.6g)", calibration, rho))

    // One user's noise for one round on a 4-regular neighbourhood.
    let own = try X25519PrivateKey()
    let peers = try (0..<4).map { _ in try X25519PrivateKey() }
    let edges = try peers.enumerated().map { index, peer in
      try EdgeKey(own: own, ownID: 0, peer: peer.publicKey, peerID: index + 1, runID: Array("bench".utf8))
    }
    let decor = CorrelatedNoise(sigmaCDP: 1, sigmaCor: 10)
    let rounds = 5
    let noiseTime = try fastest {
      for round in 0..<rounds { _ = try decor.noise(user: 0, edges: edges, round: round, dimension: dimension, seed: 1) }
    }
    let gaussians = Double(rounds * dimension * (edges.count + 1))
    print(
      String(
        format: "Decor noise, 4 edges, d = %d:      %.4f s per user-round  (%.1f M Gaussians/s)", dimension, noiseTime / Double(rounds),
        gaussians / noiseTime / 1e6))
    let agreement = try fastest {
      for _ in 0..<100 { _ = try EdgeKey(own: own, ownID: 0, peer: peers[0].publicKey, peerID: 1, runID: Array("bench".utf8)) }
    }
    print(String(format: "edge key (X25519 + HKDF-SHA256):    %.1f µs", agreement / 100 * 1e6))
  }
}
