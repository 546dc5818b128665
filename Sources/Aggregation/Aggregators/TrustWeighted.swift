import Foundation

/// Personalised trust-weighted aggregation (Wagner, Fan, Jaggi, "Personalized Collaborative
/// Fine-Tuning for On-Device Large Language Models", COLM 2024, arXiv 2404.09753; see
/// docs/aggregators.md). Every client mixes the adapters it received with its own,
/// θ_i ← Σ_j W_ij θ_j, with a row of trust weights recomputed at every aggregation:
/// - `weights`: W_i· = softmax_j(S_ij), S_ij the mean cosine similarity of corresponding rows of
///   every shared matrix;
/// - `validation`: W_i· = softmax_j(−P_ij), P_ij the perplexity of j's model on i's validation split;
/// - `prediction`: W_i· = softmax_j(−10·D̂_ij), D_ij the mean L1 distance of top-k-sparsified
///   logits on a shared public reference set, D̂_ij = D_ij / Σ_j D_ij;
/// - `uniform`: equal weights (naive averaging); `static`: a user-given matrix (option `matrix`,
///   rows separated by `;`), restricted to who arrived and renormalised.
/// Options: `temperature` τ (scores divided by τ before the softmax, default 1), `top_k` (keep the
/// k largest scores of a row, 0 = all), `warmup_rounds` of local training before the first
/// aggregation, `period` (aggregate every that many rounds), `prediction_top_k` (default 100),
/// `reference_windows` (default 4), `share` (tensor name fragments; default all), `placement`.
/// With `placement: peers` (default) every client computes its row over its neighbours — over a
/// complete topology every client hears every other, as in the paper; with `placement: server` a
/// server computes every reporting client's row over the round's replies and sends each client its
/// own model (validation evidence is then evaluated by the simulator as if the server held the
/// clients' validation windows).
public struct TrustWeighted: Aggregator {
  public static let name = "trust"

  public enum Scheme: String, Sendable, CaseIterable {
    case weights, validation, prediction, uniform
    case staticMatrix = "static"
  }

  public let scheme: Scheme
  public let temperature: Double
  public let topK: Int
  public let warmupRounds: Int
  public let period: Int
  public let matrix: [[Double]]
  public let sharing: TensorFilter
  /// Where trust is computed: by every client over its neighbours, or by a server for every client.
  public let onServer: Bool
  /// Whether clients start from their own adapters (default for `weights`, whose similarities
  /// would otherwise start identical) or from a shared one.
  public let initialisation: ModelInitialisation
  let request: EvidenceRequest

  public init(options: AggregatorOptions) throws(AggregatorError) {
    scheme = Scheme(rawValue: try options.choice("scheme", among: Scheme.allCases.map(\.rawValue), default: "prediction")) ?? .prediction
    temperature = try options.double("temperature", default: 1, in: 1e-6...1e6)
    topK = try options.int("top_k", default: 0, in: 0...1_000_000)
    warmupRounds = try options.int("warmup_rounds", default: 0, in: 0...1_000_000)
    period = try options.int("period", default: 1, in: 1...1_000_000)
    let predictionTopK = try options.int("prediction_top_k", default: 100, in: 1...1_000_000)
    let referenceWindows = try options.int("reference_windows", default: 4, in: 1...100_000)
    sharing = try TensorFilter(options: options)
    onServer = try options.choice("placement", among: ["peers", "server"], default: "peers") == "server"
    initialisation =
      try options.choice("init", among: ["shared", "per-client"], default: scheme == .weights ? "per-client" : "shared") == "per-client"
      ? .perClient : .shared
    let matrixText = try options.string("matrix")
    if scheme == .staticMatrix {
      guard let matrixText else {
        throw AggregatorError(
          aggregator: Self.name, option: "matrix", value: "", expected: "rows of non-negative numbers separated by ';' for scheme static")
      }
      matrix = try Self.parseMatrix(matrixText)
    } else {
      if let matrixText {
        throw AggregatorError(aggregator: Self.name, option: "matrix", value: matrixText, expected: "no matrix unless scheme is static")
      }
      matrix = []
    }
    switch scheme {
    case .validation: request = EvidenceRequest(kinds: .validationLoss)
    case .prediction: request = EvidenceRequest(kinds: .predictions, predictionTopK: predictionTopK, referenceWindows: referenceWindows)
    default: request = .none
    }
  }

  static func parseMatrix(_ text: String) throws(AggregatorError) -> [[Double]] {
    var rows: [[Double]] = []
    for (index, rowText) in text.split(separator: ";").enumerated() {
      var row: [Double] = []
      for item in rowText.split(whereSeparator: { $0 == "," || $0 == " " }) {
        guard let value = Double(item), value >= 0, value.isFinite else {
          throw AggregatorError(aggregator: name, option: "matrix", value: String(item), expected: "a number ≥ 0 (row \(index))")
        }
        row.append(value)
      }
      rows.append(row)
    }
    guard let width = rows.first?.count, width == rows.count, rows.allSatisfy({ $0.count == width }) else {
      throw AggregatorError(aggregator: name, option: "matrix", value: text, expected: "a square matrix, rows separated by ';'")
    }
    for (index, row) in rows.enumerated() where row.reduce(0, +) <= 0 {
      throw AggregatorError(aggregator: name, option: "matrix", value: text, expected: "row \(index) with a positive sum")
    }
    return rows
  }

  public var communication: Communication { onServer ? .server : .neighbours }

  public var personalisesOnServer: Bool { onServer }

  public func shares(tensor name: String) -> Bool { sharing.shares(name) }

  public var evidence: EvidenceRequest { request }

  public var recordsMixingWeights: Bool { true }

  public func exchanges(round: Int) -> Bool {
    round + 1 > warmupRounds && (round + 1 - warmupRounds) % period == 0
  }

  public func mixingWeights(_ input: MixingInput) -> MixingRow {
    let clients = input.topology.entries.map(\.client)
    let i = input.receiver
    switch scheme {
    case .uniform:
      return MixingRow(clients.map { ($0, 1 / Double(clients.count)) })
    case .staticMatrix:
      guard matrix.indices.contains(i) else { return input.topology }
      let raw = clients.map { matrix[i].indices.contains($0) ? matrix[i][$0] : 0 }
      let total = raw.reduce(0, +)
      guard total > 0 else { return MixingRow([(i, 1)]) }
      return MixingRow(zip(clients, raw).map { ($0, $1 / total) })
    case .weights:
      let valuesByClient = Dictionary(uniqueKeysWithValues: input.received.map { ($0.client, $0.values) })
      let scores = clients.map { j -> Double in
        j == i
          ? Self.rowCosineSimilarity(input.own, input.own, tensors: input.context.tensors)
          : Self.rowCosineSimilarity(input.own, valuesByClient[j] ?? [], tensors: input.context.tensors)
      }
      return MixingRow(zip(clients, Self.softmax(scores, temperature: temperature, topK: topK)).map { ($0, $1) })
    case .validation:
      let scores = clients.map { -Foundation.exp(input.evidence.validationLoss[$0] ?? .infinity) }
      return MixingRow(zip(clients, Self.softmax(scores, temperature: temperature, topK: topK)).map { ($0, $1) })
    case .prediction:
      let distances = clients.map { $0 == i ? 0 : input.evidence.predictionDistance[$0] ?? .infinity }
      let total = distances.filter(\.isFinite).reduce(0, +)
      let scores = distances.map { total > 0 ? -10 * $0 / total : ($0 == 0 ? 0 : -.infinity) }
      return MixingRow(zip(clients, Self.softmax(scores, temperature: temperature, topK: topK)).map { ($0, $1) })
    }
  }

  /// Row softmax of `scores / temperature`, keeping only the `topK` largest (0 = all; ties by
  /// position). Scores of −∞ get weight 0; if all are −∞ the weights are uniform.
  public static func softmax(_ scores: [Double], temperature: Double = 1, topK: Int = 0) -> [Double] {
    var kept = scores.map { $0 / temperature }
    if topK > 0 && topK < kept.count {
      let order = kept.indices.sorted { kept[$0] > kept[$1] || (kept[$0] == kept[$1] && $0 < $1) }
      for index in order[topK...] { kept[index] = -.infinity }
    }
    guard let top = kept.max(), top.isFinite else { return scores.map { _ in 1 / Double(scores.count) } }
    let exps = kept.map { $0.isFinite ? Foundation.exp($0 - top) : 0 }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
  }

  /// Mean over every row of every matrix of the cosine similarity between corresponding rows
  /// (1 when both rows are zero, 0 when only one is), rows as the reference's authors lay LoRA
  /// out: A as (in × r) and B as (r × out). In PEFT layout (A: r × in, B: out × r) those rows are
  /// the columns, so LoRA tensors (names containing `lora_A` / `lora_B`) are compared column by
  /// column; any other tensor row by row.
  public static func rowCosineSimilarity(_ a: [Float], _ b: [Float], tensors: [TensorSpan]) -> Double {
    guard a.count == b.count, !a.isEmpty else { return 0 }
    let spans = tensors.isEmpty ? [TensorSpan(name: "", offset: 0, rows: 1, columns: a.count)] : tensors
    var total = 0.0
    var vectors = 0
    for span in spans {
      let byColumn = span.name.contains("lora_A") || span.name.contains("lora_B")
      // (count, length, stride between elements, step between vectors) of the compared vectors.
      let (count, length, stride, step) = byColumn ? (span.columns, span.rows, span.columns, 1) : (span.rows, span.columns, 1, span.columns)
      for vector in 0..<count {
        var dot = 0.0, na = 0.0, nb = 0.0
        for k in 0..<length {
          let index = span.offset + vector * step + k * stride
          let x = Double(a[index]), y = Double(b[index])
          dot += x * y
          na += x * x
          nb += y * y
        }
        if na == 0 && nb == 0 {
          total += 1
        } else if na > 0 && nb > 0 {
          total += dot / (na.squareRoot() * nb.squareRoot())
        }
        vectors += 1
      }
    }
    return vectors > 0 ? total / Double(vectors) : 0
  }
}
