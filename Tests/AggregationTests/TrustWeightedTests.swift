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

  /// The reference's authors hold A as (in × r) and B as (r × out) and compare rows; PEFT holds
  /// A as (r × in) and B as (out × r), so the same vectors are columns. Hand-computed on r = 2,
  /// in = 3, out = 2.
  @Test func weightSimilarityComparesTheReferencesRowsOfLoRAMatrices() {
    // A (PEFT, 2 × 3): columns (1, 0), (0, 1), (1, 1) for client a; (2, 0), (0, −1), (1, −1) for b.
    let aA: [Float] = [1, 0, 1, 0, 1, 1], bA: [Float] = [2, 0, 1, 0, -1, -1]
    // B (PEFT, 2 × 2): columns (1, 1), (0, 1) for a; (1, −1), (0, 3) for b.
    let aB: [Float] = [1, 0, 1, 1], bB: [Float] = [1, 0, -1, 3]
    let spans = [
      TensorSpan(name: "layers.0.q_proj.lora_A.weight", offset: 0, rows: 2, columns: 3),
      TensorSpan(name: "layers.0.q_proj.lora_B.weight", offset: 6, rows: 2, columns: 2),
    ]
    // Column cosines: A: 1, −1, 0; B: 0, 1 → S = (1 − 1 + 0 + 0 + 1)/5.
    let s = TrustWeighted.rowCosineSimilarity(aA + aB, bA + bB, tensors: spans)
    #expect(abs(s - 0.2) < 1e-12)
    // Row by row (PEFT rows) the same matrices give another value: the layout matters.
    let rows = [TensorSpan(name: "a", offset: 0, rows: 2, columns: 3), TensorSpan(name: "b", offset: 6, rows: 2, columns: 2)]
    #expect(abs(TrustWeighted.rowCosineSimilarity(aA + aB, bA + bB, tensors: rows) - s) > 0.05)
  }

  @Test func weightSimilarityStartsFromPerClientAdaptersByDefault() throws {
    #expect(try make(["scheme": "weights"]).initialisation == .perClient)
    #expect(try make(["scheme": "weights", "init": "shared"]).initialisation == .shared)
    #expect(try make(["scheme": "validation"]).initialisation == .shared)
    #expect(try make(["scheme": "prediction", "init": "per-client"]).initialisation == .perClient)
    #expect(throws: AggregatorError.self) { try make(["init": "random"]) }
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
    // The paper's schedule, 500 steps: 100 local steps, then an aggregation every 25 steps
    // (after steps 125, 150, …, 500). With 25 local steps a round: 4 warm-up rounds, period 1.
    let paper = try make(["warmup_rounds": "4"])
    let afterSteps = (0..<20).filter { paper.exchanges(round: $0) }.map { ($0 + 1) * 25 }
    #expect(afterSteps == Array(stride(from: 125, through: 500, by: 25)))
    // The same with 5 local steps a round: 20 warm-up rounds, period 5.
    let fine = try make(["warmup_rounds": "20", "period": "5"])
    #expect((0..<100).filter { fine.exchanges(round: $0) }.map { ($0 + 1) * 5 } == afterSteps)
    // And aggregating right after step 100 instead: 3 warm-up rounds of 25 steps.
    #expect((0..<20).filter { try! make(["warmup_rounds": "3"]).exchanges(round: $0) }.first.map { ($0 + 1) * 25 } == 100)
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
