import Foundation
import Testing

@testable import Aggregation

@Suite struct TrustWeightedTests {
  func make(_ options: [String: String]) throws -> TrustWeighted {
    try AggregatorRegistry.shared.make("trust", options: options) as! TrustWeighted
  }

  /// Receiver 0 of a complete graph of `n` clients, everyone arrived.
  func input(n: Int, own: [Float] = [], received: [[Float]] = [], evidence: PeerEvidence = PeerEvidence(), tensors: [TensorSpan] = [])
    -> MixingInput
  {
    let contributions = (1..<n).map { Contribution(client: $0, values: received.isEmpty ? [] : received[$0 - 1], weight: 1) }
    return MixingInput(
      receiver: 0, own: own, received: contributions, topology: MixingRow((0..<n).map { ($0, 1 / Double(n)) }),
      evidence: evidence, context: AggregationContext(round: 0, seed: 0, receiver: 0, tensors: tensors))
  }

  func expectRow(_ row: MixingRow, _ expected: [Double], tolerance: Double = 5e-4) {
    #expect(row.entries.count == expected.count)
    for (entry, value) in zip(row.entries, expected) { #expect(abs(entry.weight - value) < tolerance, "\(row.entries) vs \(expected)") }
    #expect(abs(row.entries.reduce(0) { $0 + $1.weight } - 1) < 1e-12)
  }

  @Test func weightSimilarityReferenceRow() throws {
    // Four clients whose (one-row) adapters are orthogonal: S = I.
    let basis: [[Float]] = (0..<4).map { i in (0..<4).map { $0 == i ? 1 : 0 } }
    let trust = try make(["scheme": "weights"])
    let row = trust.mixingWeights(
      input(n: 4, own: basis[0], received: Array(basis[1...]), tensors: [TensorSpan(name: "a", offset: 0, rows: 1, columns: 4)]))
    expectRow(row, [0.475, 0.175, 0.175, 0.175])
  }

  @Test func rowCosineAveragesOverRowsOfEveryMatrix() {
    // Two 2×2 matrices; rows: identical, opposite, orthogonal, identical → mean (1 − 1 + 0 + 1)/4.
    let a: [Float] = [1, 0, 0, 1, 1, 0, 2, 2]
    let b: [Float] = [3, 0, 0, -1, 0, 5, 1, 1]
    let spans = [TensorSpan(name: "x", offset: 0, rows: 2, columns: 2), TensorSpan(name: "y", offset: 4, rows: 2, columns: 2)]
    #expect(abs(TrustWeighted.rowCosineSimilarity(a, b, tensors: spans) - 0.25) < 1e-12)
  }

  @Test func validationReferenceRow() throws {
    let losses: [Int: Double] = [0: log(30), 1: log(32), 2: log(40), 3: log(45)]
    let row = try make(["scheme": "validation"]).mixingWeights(input(n: 4, evidence: PeerEvidence(validationLoss: losses)))
    expectRow(row, [0.881, 0.119, 0.000, 0.000])
  }

  @Test func predictionReferenceRow() throws {
    let distances = Dictionary(uniqueKeysWithValues: (1..<8).map { ($0, 2.5) })
    let row = try make(["scheme": "prediction"]).mixingWeights(input(n: 8, evidence: PeerEvidence(predictionDistance: distances)))
    expectRow(row, [0.373] + Array(repeating: 0.090, count: 7))
  }

  @Test func temperatureAndTopK() throws {
    let losses: [Int: Double] = [0: log(30), 1: log(32), 2: log(40), 3: log(45)]
    let hot = try make(["scheme": "validation", "temperature": "10"]).mixingWeights(
      input(n: 4, evidence: PeerEvidence(validationLoss: losses)))
    let expected = TrustWeighted.softmax([-3, -3.2, -4, -4.5])
    expectRow(hot, expected, tolerance: 1e-12)
    let top2 = try make(["scheme": "validation", "temperature": "10", "top_k": "2"]).mixingWeights(
      input(n: 4, evidence: PeerEvidence(validationLoss: losses)))
    let pair = TrustWeighted.softmax([-3, -3.2])
    expectRow(top2, pair + [0, 0], tolerance: 1e-12)
  }

  @Test func uniformMakesEveryClientIdentical() throws {
    let trust = try make(["scheme": "uniform"])
    let models: [[Float]] = [[1, 2, 3], [4, 0, -1], [0.5, 0.25, 8], [-2, 7, 1]]
    var mixed: [[Float]] = []
    for receiver in 0..<4 {
      let others = (0..<4).filter { $0 != receiver }.map { Contribution(client: $0, values: models[$0], weight: 1) }
      let context = AggregationContext(round: 0, seed: 0, receiver: receiver)
      let row = trust.mixingWeights(
        MixingInput(
          receiver: receiver, own: models[receiver], received: others, topology: MixingRow((0..<4).map { ($0, 0.25) }),
          evidence: PeerEvidence(), context: context))
      mixed.append(
        trust.combine(
          own: models[receiver], selfWeight: row.weight(of: receiver),
          neighbours: others.map { ($0, row.weight(of: $0.client)) }, context: context))
    }
    for receiver in 1..<4 {
      for k in 0..<3 { #expect(abs(mixed[receiver][k] - mixed[0][k]) < 1e-6) }
    }
  }

  @Test func staticMatrixRestrictsToArrivalsAndRenormalises() throws {
    let trust = try make(["scheme": "static", "matrix": "0.5 0.25 0.25; 0 1 0; 0.2 0.3 0.5"])
    // Client 2 never arrived at receiver 0: its weight is dropped and the row renormalised.
    let row = trust.mixingWeights(
      MixingInput(
        receiver: 0, own: [], received: [Contribution(client: 1, values: [], weight: 1)], topology: MixingRow([(0, 0.5), (1, 0.5)]),
        evidence: PeerEvidence(), context: AggregationContext(round: 0, seed: 0, receiver: 0)))
    expectRow(row, [2.0 / 3, 1.0 / 3], tolerance: 1e-12)
    #expect(throws: AggregatorError.self) { try make(["scheme": "static", "matrix": "1 0; 0"]) }
    #expect(throws: AggregatorError.self) { try make(["scheme": "static", "matrix": "1 x; 0 1"]) }
    #expect(throws: AggregatorError.self) { try make(["scheme": "static"]) }
    #expect(throws: AggregatorError.self) { try make(["scheme": "weights", "matrix": "1"]) }
  }

  @Test func warmupAndPeriodDecideTheExchangeRounds() throws {
    let trust = try make(["warmup_rounds": "4", "period": "2"])
    #expect((0..<10).filter { trust.exchanges(round: $0) } == [5, 7, 9])
    #expect((0..<3).allSatisfy { try! make([:]).exchanges(round: $0) })
  }

  @Test func evidenceRequestsFollowTheScheme() throws {
    #expect(try make(["scheme": "validation"]).evidence.kinds == .validationLoss)
    let prediction = try make(["scheme": "prediction", "prediction_top_k": "20", "reference_windows": "3"]).evidence
    #expect(prediction.kinds == .predictions && prediction.predictionTopK == 20 && prediction.referenceWindows == 3)
    #expect(try make(["scheme": "weights"]).evidence.kinds.isEmpty)
    #expect(throws: AggregatorError.self) { try make(["scheme": "trustme"]) }
  }
}

@Suite struct CentralDPTests {
  @Test func noiselessSumIsTheUniformMean() throws {
    var cdp = try AggregatorRegistry.shared.make("cdp")
    var global: [Float] = [0, 0]
    cdp.aggregate(
      [Contribution(client: 1, values: [1, 2], weight: 100), Contribution(client: 0, values: [3, -2], weight: 1)], global: &global,
      context: AggregationContext(round: 0, seed: 1))
    #expect(global == [2, 0])
    #expect(cdp.privacy == .central)
  }

  @Test func noiseOnTheMeanHasStdSigmaOverM() throws {
    var cdp = try AggregatorRegistry.shared.make("cdp")
    let d = 20_000, m = 4, sigma = 3.0
    var global = [Float](repeating: 0, count: d)
    let zeros = (0..<m).map { Contribution(client: $0, values: [Float](repeating: 0, count: d), weight: 1) }
    cdp.aggregate(zeros, global: &global, context: AggregationContext(round: 0, seed: 7, centralNoise: sigma))
    let variance = global.reduce(0) { $0 + Double($1) * Double($1) } / Double(d)
    let expected = (sigma / Double(m)) * (sigma / Double(m))
    // Sample variance of 20,000 Gaussians: relative standard error √(2/d) ≈ 1 %.
    #expect(abs(variance / expected - 1) < 0.05)
  }
}
