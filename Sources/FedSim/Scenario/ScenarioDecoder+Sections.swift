import Foundation
import Learning
import Simulation
import Yams

extension ScenarioDecoder {
  // MARK: - data

  static func data(_ s: Section, resolve: (String?) -> String?) -> DataSection {
    let source = s.section(
      "source",
      allowed: [
        "kind", "domains", "vocabulary", "order", "concentration", "documents_per_domain",
        "document_length", "path", "paths", "domain_per", "text_field", "domain_field",
        "dimension", "zeta", "examples", "noise", "heterogeneity", "l2",
      ])
    let kind =
      source.choice("kind", among: ["markov", "text-dir", "jsonl", "fortune", "decor-quadratic", "linear", "logistic"], default: "markov")
      ?? "markov"
    source.rejectKeys(
      ofOtherKinds: [
        "markov": ["domains", "vocabulary", "order", "concentration", "documents_per_domain", "document_length"],
        "text-dir": ["path", "domain_per"], "jsonl": ["path", "text_field", "domain_field"],
        "fortune": ["paths", "domain_per", "documents_per_domain"],
        "decor-quadratic": ["dimension", "zeta"], "linear": ["dimension", "examples", "noise", "heterogeneity"],
        "logistic": ["dimension", "examples", "heterogeneity", "l2"],
      ], selected: kind)
    let sourceValue: DataSection.Source
    switch kind {
    case "text-dir":
      sourceValue = .textDirectory(
        path: resolve(source.string("path", required: true)) ?? "",
        domainPerFolder: (source.choice("domain_per", among: ["file", "folder"], default: "file") ?? "file") == "folder")
    case "jsonl":
      sourceValue = .jsonLines(
        path: resolve(source.string("path", required: true)) ?? "", textField: source.string("text_field", default: "text") ?? "text",
        domainField: source.string("domain_field", default: "domain") ?? "domain")
    case "decor-quadratic":
      sourceValue = .decorQuadratic(
        dimension: source.int("dimension", default: 10, in: 1...100_000) ?? 10,
        zeta: source.double("zeta", default: 1, in: 0...1e6) ?? 1)
    case "linear":
      sourceValue = .linear(
        dimension: source.int("dimension", default: 10, in: 1...100_000) ?? 10,
        examples: source.int("examples", default: 100, in: 2...10_000_000) ?? 100,
        noise: source.double("noise", default: 0.1, in: 0...1e6) ?? 0.1,
        heterogeneity: source.double("heterogeneity", default: 0.5, in: 0...1e6) ?? 0.5)
    case "logistic":
      sourceValue = .logistic(
        dimension: source.int("dimension", default: 10, in: 1...100_000) ?? 10,
        examples: source.int("examples", default: 200, in: 2...10_000_000) ?? 200,
        heterogeneity: source.double("heterogeneity", default: 1, in: 0...1e6) ?? 1,
        l2: source.double("l2", default: 1e-3, in: 0...1e6) ?? 1e-3)
    case "fortune":
      let paths = source.strings("paths") ?? ["/usr/share/games/fortunes"]
      sourceValue = .fortune(
        paths: paths.map { resolve($0) ?? $0 },
        domainPerPath: (source.choice("domain_per", among: ["file", "path"], default: "file") ?? "file") == "path",
        documentsPerDomain: source.int("documents_per_domain", default: nil as Int?, in: 1...10_000_000, optional: true))
    default:
      sourceValue = .markov(
        domains: source.int("domains", default: 4, in: 1...1000) ?? 4, vocabulary: source.int("vocabulary", default: 16, in: 2...256) ?? 16,
        order: source.int("order", default: 2, in: 1...4) ?? 2,
        concentration: source.double("concentration", default: 0.3, in: 1e-300...1e6) ?? 0.3,
        documentsPerDomain: source.int("documents_per_domain", default: 200, in: 1...10_000_000) ?? 200,
        documentLength: source.int("document_length", default: 256, in: 2...10_000_000) ?? 256)
    }
    let partition = s.section("partition", allowed: ["kind", "alpha", "k", "weights", "exponent", "minimum"])
    let partitionKind =
      partition.choice(
        "kind", among: ["iid", "domain-per-client", "k-domains", "dirichlet", "mixture", "quantity-skew"], default: "dirichlet")
      ?? "dirichlet"
    partition.rejectKeys(
      ofOtherKinds: ["k-domains": ["k"], "dirichlet": ["alpha"], "mixture": ["weights"], "quantity-skew": ["exponent", "minimum"]],
      selected: partitionKind)
    let partitionValue: DataSection.Partition
    switch partitionKind {
    case "iid": partitionValue = .iid
    case "domain-per-client": partitionValue = .domainPerClient
    case "k-domains": partitionValue = .domainsPerClient(partition.int("k", default: 2, in: 1...1000) ?? 2)
    case "mixture": partitionValue = .mixture(weights: weights(partition))
    case "quantity-skew":
      partitionValue = .quantitySkew(
        exponent: partition.double("exponent", default: 1.5, in: 0...100, openLower: true) ?? 1.5,
        minimum: partition.int("minimum", default: 1, in: 1...Int.max) ?? 1)
    default: partitionValue = .dirichlet(alpha: partition.double("alpha", default: 0.5, in: 1e-300...1e6) ?? 0.5)
    }
    let splits = s.section("splits", allowed: ["train", "validation", "test"])
    let train = splits.double("train", default: 0.8, in: 0...1, openLower: true) ?? 0.8
    let validation = splits.double("validation", default: 0.1, in: 0...1) ?? 0.1
    let test = splits.double("test", default: 0.1, in: 0...1) ?? 0.1
    if abs(train + validation + test - 1) > 1e-9 {
      s.reader.report(splits.node, splits.path, "train + validation + test = \(train + validation + test), expected 1", near: s.node)
    }
    let target =
      DataSection.Target(rawValue: s.choice("target", among: DataSection.Target.allCases.map(\.rawValue), default: "in-distribution") ?? "")
      ?? .inDistribution
    return DataSection(
      source: sourceValue, partition: partitionValue, trainFraction: train, validationFraction: validation,
      testFraction: test, target: target, publicFraction: s.double("public_fraction", default: 0.1, in: 0...0.9) ?? 0.1)
  }

  /// Mixture weights: a list of per-client lists of non-negative numbers.
  static func weights(_ s: Section) -> [[Double]] {
    guard let node = s["weights"] else {
      s.missing("weights", expected: "a list of per-client weight lists, e.g. [[0.75, 0.25], [0.25, 0.75]]")
      return []
    }
    guard case .sequence(let rows) = node else {
      s.reader.report(node, s.child("weights"), "expected a list of lists, found \(describe(node))")
      return []
    }
    var result: [[Double]] = []
    for (i, row) in rows.enumerated() {
      guard case .sequence(let items) = row else {
        s.reader.report(row, "\(s.child("weights"))[\(i)]", "expected a list of numbers, found \(describe(row))")
        continue
      }
      var values: [Double] = []
      for (j, item) in items.enumerated() {
        // Weights are relative: 1e12 leaves room for counts while their sums stay finite.
        guard case .scalar(let scalar) = item, let value = Double(scalar.string), value >= 0, value <= 1e12, value == 0 || value.isNormal
        else {
          s.reader.report(item, "\(s.child("weights"))[\(i)][\(j)]", "expected a number in 0...1e12, found \(describe(item))")
          continue
        }
        values.append(value)
      }
      if values.reduce(0, +) <= 0 { s.reader.report(row, "\(s.child("weights"))[\(i)]", "weights must not all be zero") }
      result.append(values)
    }
    return result
  }

  // MARK: - topology

  static let topologyKinds = [
    "star", "complete", "ring", "path", "grid", "torus", "random-regular", "erdos-renyi",
    "watts-strogatz", "barabasi-albert", "one-peer-exponential", "edges",
  ]

  static func topology(_ s: Section, clients: Int, resolve: (String?) -> String?) -> TopologySection {
    let kind = s.choice("kind", among: topologyKinds, default: "star") ?? "star"
    s.rejectKeys(
      ofOtherKinds: [
        "random-regular": ["k"], "watts-strogatz": ["k", "beta"], "erdos-renyi": ["p"], "barabasi-albert": ["m"],
        "grid": ["rows", "columns"], "torus": ["rows", "columns"], "edges": ["file"],
      ], selected: kind)
    var parameters: [String: Double] = [:]
    switch kind {
    case "random-regular", "watts-strogatz":
      parameters["k"] = Double(s.int("k", default: 4, in: 1...max(1, clients - 1)) ?? 4)
      if kind == "watts-strogatz" { parameters["beta"] = s.double("beta", default: 0.1, in: 0...1) ?? 0.1 }
    case "erdos-renyi": parameters["p"] = s.double("p", default: 0.2, in: 0...1, openLower: true) ?? 0.2
    case "barabasi-albert": parameters["m"] = Double(s.int("m", default: 2, in: 1...max(1, clients - 1)) ?? 2)
    case "grid", "torus":
      // Without rows or columns, the most nearly square factorisation of the clients (16 → 4 × 4);
      // with one of them, the other one that completes it.
      let square = (1...max(1, Int(Double(clients).squareRoot()))).last { clients % $0 == 0 } ?? 1
      let givenColumns = s.contains("columns") ? s.int("columns", default: 1, in: 1...clients) : nil
      let rows = s.int("rows", default: givenColumns.map { max(1, clients / $0) } ?? square, in: 1...clients) ?? 1
      let columns = givenColumns ?? max(1, clients / max(rows, 1))
      if rows * columns != clients {
        s.reader.report(
          s["rows"] ?? s.node, s.child("rows"), "rows × columns = \(rows * columns), expected the number of clients (\(clients))")
      }
      parameters["rows"] = Double(rows)
      parameters["columns"] = Double(columns)
    default: break
    }
    let file = kind == "edges" ? resolve(s.string("file", required: true)) : nil
    return TopologySection(
      kind: kind, parameters: parameters, edgesFile: file,
      mixing: s.choice("mixing", among: ["metropolis-hastings", "uniform", "max-degree"], default: "metropolis-hastings")
        ?? "metropolis-hastings",
      resampleEveryRound: s.bool("resample_every_round", default: false),
      requireConnected: s.bool("require_connected", default: true))
  }

  // MARK: - devices and network

  /// A positive quantity: a number, or {log_normal: {median, sigma}}, {uniform: {low, high}},
  /// {trace: file.csv}.
  static func distribution(_ s: Section, _ key: String, default value: Distribution?, resolve: (String?) -> String?) -> Distribution? {
    guard let node = s[key] else { return value }
    let path = s.child(key)
    if case .scalar(let scalar) = node {
      guard let number = Double(scalar.string), number > 0, number.isFinite else {
        s.reader.report(node, path, "expected a positive number or one of log_normal, uniform, trace, found \(quote(scalar))")
        return value
      }
      return .constant(number)
    }
    let inner = Section(s.reader, node, path: path, allowed: ["constant", "log_normal", "uniform", "trace"])
    if inner.contains("constant") {
      return .constant(inner.double("constant", in: 0...Double.greatestFiniteMagnitude, openLower: true) ?? 1)
    }
    if inner.contains("log_normal") {
      let p = inner.section("log_normal", allowed: ["median", "sigma"])
      return .logNormal(
        median: p.double("median", in: 0...Double.greatestFiniteMagnitude, openLower: true) ?? 1,
        sigma: p.double("sigma", default: 0.5, in: 0...10) ?? 0.5)
    }
    if inner.contains("uniform") {
      let p = inner.section("uniform", allowed: ["low", "high"])
      let low = p.double("low", in: 0...Double.greatestFiniteMagnitude, openLower: true) ?? 1
      let high = p.double("high", in: 0...Double.greatestFiniteMagnitude, openLower: true) ?? low
      if high < low { s.reader.report(p.node, p.path, "high \(high) is below low \(low)") }
      return .uniform(low: low, high: max(low, high))
    }
    if let file = inner.string("trace") {
      let url = URL(fileURLWithPath: resolve(file) ?? file)
      do { return .values(try TraceFiles.values(contentsOf: url)) } catch {
        s.reader.report(inner["trace"], inner.child("trace"), error.description)
        return value
      }
    }
    s.reader.report(node, path, "expected one of constant, log_normal, uniform, trace")
    return value
  }

  static func devices(_ s: Section, resolve: (String?) -> String?) -> DeviceModel {
    var model = DeviceModel()
    model.speed = distribution(s, "speed", default: .constant(1e10), resolve: resolve) ?? .constant(1e10)
    model.memory = distribution(s, "memory", default: nil, resolve: resolve)
    model.dropoutProbability = s.double("dropout", default: 0, in: 0...1) ?? 0
    if s.contains("departure") {
      let departure = s.section("departure", allowed: ["fraction", "within"])
      model.departure = DeviceModel.Departure(
        fraction: departure.double("fraction", in: 0...1) ?? 0, within: departure.double("within", in: 0...1e12, openLower: true) ?? 1)
    }
    if let node = s["availability"] {
      if case .scalar(let scalar) = node {
        if scalar.string != "always" {
          s.reader.report(
            node, s.child("availability"), "expected always, {bernoulli: p} or {trace: file}, found \(quote(scalar))",
            suggestion: closestMatch(to: scalar.string, among: ["always"]))
        }
      } else {
        let inner = s.section("availability", allowed: ["bernoulli", "trace"])
        if inner.contains("bernoulli") {
          model.availability = .bernoulli(inner.double("bernoulli", in: 0...1, openLower: true) ?? 1)
        } else if let file = inner.string("trace") {
          do { model.availability = .intervals(try TraceFiles.intervals(contentsOf: URL(fileURLWithPath: resolve(file) ?? file))) } catch {
            s.reader.report(inner["trace"], inner.child("trace"), error.description)
          }
        } else {
          s.reader.report(node, s.child("availability"), "expected always, {bernoulli: p} or {trace: file}")
        }
      }
    }
    return model
  }

  static func link(_ s: Section, _ key: String, default value: LinkModel, resolve: (String?) -> String?) -> LinkModel {
    let inner = s.section(key, allowed: ["latency", "bandwidth", "loss"])
    var link = value
    link.latency = distribution(inner, "latency", default: value.latency, resolve: resolve) ?? value.latency
    link.bandwidth = distribution(inner, "bandwidth", default: value.bandwidth, resolve: resolve) ?? value.bandwidth
    link.lossProbability = inner.double("loss", default: value.lossProbability, in: 0...0.999) ?? 0
    return link
  }

  static func network(_ s: Section, resolve: (String?) -> String?) -> NetworkModel {
    let defaults = NetworkModel()
    return NetworkModel(
      uplink: link(s, "uplink", default: defaults.uplink, resolve: resolve),
      downlink: link(s, "downlink", default: defaults.downlink, resolve: resolve),
      peer: link(s, "peer", default: defaults.peer, resolve: resolve))
  }
}
