import Foundation
import Graphs
import Learning
import Randomness
import Testing

@testable import FedSim
@testable import Simulation

/// The fuzzing corpus as regression tests: every committed input of every harness, then a short
/// seeded mutation pass, goes through `FuzzTarget.run` (what the libFuzzer harnesses in Fuzz/
/// call). A reader that traps or hangs fails the test process; a reader must give a value or its
/// typed error. See docs/reliability.md, "Fuzzing".
@Suite struct FuzzRegressionTests {
  /// Fuzz/ at the top of the repository, found from this file.
  static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz")

  static func corpus(_ target: FuzzTarget) -> [(name: String, data: Data)] {
    let directory = fuzzDirectory.appendingPathComponent("Corpus").appendingPathComponent(target.rawValue)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.sorted().compactMap { name in
      FileManager.default.contents(atPath: directory.appendingPathComponent(name).path).map { (name, $0) }
    }
  }

  // MARK: - The committed corpus

  @Test(arguments: FuzzTarget.allCases) func corpusReplaysWithoutCrashing(_ target: FuzzTarget) {
    let files = Self.corpus(target)
    #expect(files.count >= 3, "the corpus of \(target.rawValue) is missing (Fuzz/Corpus/\(target.rawValue))")
    var accepted = 0
    for (name, data) in files {
      #expect(data.count <= target.maximumLength, "\(name) is longer than the harness's -max_len")
      let outcomes = target.run(data)
      #expect(!outcomes.isEmpty)
      if outcomes.contains(where: { (try? $0.get()) != nil }) { accepted += 1 }
      // Inputs kept because they once crashed a reader now give its typed error or a value.
      if name.hasPrefix("crash-") { #expect(outcomes.allSatisfy(Self.isTyped), "\(name)") }
    }
    // The seeds are real files: the harness must reach past the first check.
    #expect(accepted >= 1, "no input of \(target.rawValue) is accepted: the harness no longer reaches the reader")
  }

  /// Every failure is the reader's own error type (typed throws guarantee it; this guards `run`).
  static func isTyped(_ outcome: FuzzTarget.Outcome) -> Bool {
    guard case .failure(let error) = outcome else { return true }
    return error is ScenarioError || error is SafetensorsError || error is CheckpointError || error is EdgeListError
      || error is TraceFileError
  }

  @Test func realScenariosDecode() throws {
    // The project's scenarios are seeds of the scenario harness; they must keep decoding.
    let directory = Self.fuzzDirectory.deletingLastPathComponent().appendingPathComponent("scenarios")
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
    #expect(!names.isEmpty)
    for name in names {
      let data = try Data(contentsOf: directory.appendingPathComponent(name))
      let outcome = FuzzTarget.scenario.run(data)[0]
      if case .failure(let error) = outcome { Issue.record("\(name): \(error)") }
    }
  }

  // MARK: - A seeded mutation pass

  /// Mutations from one of the project's counter-based streams: a fixed seed gives the same
  /// mutations on every machine.
  struct Mutator {
    var stream: RandomStream

    mutating func next() -> UInt64 { stream.nextUInt64() }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : stream.nextInt(below: n) }

    /// Tokens that tend to sit on a reader's edges: limits, signs, non-numbers, structure.
    static let tokens: [String] = [
      "0", "-1", "1", "9223372036854775807", "9223372036854775808", "18446744073709551616", "99999999999", "1e308", "1e-320",
      "nan", "inf", "-0", "0x10", "1_000", "\"", "'", ":", ",", "-", "#", "{", "}", "[", "]", "\n", "\r\n", "\t", " ", "~", "null",
      "&a", "*a", "!!str", "---", "=", ".", "\u{FEFF}", "é", "\0", "nodes ", "F16", "BF16", "I64", "BOOL", "shape", "data_offsets",
      "hidden_size", "head_dim", "num_attention_heads", "r", "fedsim_mixture", "active_experts",
    ]

    /// One to four byte flips, insertions, deletions, duplications, token insertions or splices
    /// with another corpus input, kept within `limit` bytes.
    mutating func mutate(_ input: [UInt8], splicing other: [UInt8], limit: Int) -> [UInt8] {
      var bytes = input
      for _ in 0...below(4) {
        let at = below(bytes.count + 1)
        switch below(7) {
        case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] ^= UInt8(1 << below(8))
        case 1 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] = UInt8(truncatingIfNeeded: next())
        case 2: bytes.insert(contentsOf: (0...below(3)).map { _ in UInt8(truncatingIfNeeded: next()) }, at: at)
        case 3 where !bytes.isEmpty:
          let end = min(bytes.count, at + 1 + below(16))
          bytes.removeSubrange(min(at, bytes.count - 1)..<end)
        case 4 where !bytes.isEmpty:
          let start = below(bytes.count)
          let piece = bytes[start..<min(bytes.count, start + 1 + below(32))]
          bytes.insert(contentsOf: Array(piece), at: at)
        case 5: bytes.insert(contentsOf: Array(Self.tokens[below(Self.tokens.count)].utf8), at: at)
        default:
          guard !other.isEmpty else { continue }
          let start = below(other.count)
          bytes = Array(bytes[..<at]) + other[start..<min(other.count, start + 1 + below(256))]
        }
      }
      return Array(bytes.prefix(limit))
    }
  }

  /// Mutations per harness: enough to leave the corpus' paths, short enough for every `swift test`
  /// (about a second per harness in a release build).
  static let mutationsPerTarget = 3000

  @Test(arguments: FuzzTarget.allCases) func seededMutationsGiveValuesOrTypedErrors(_ target: FuzzTarget) {
    let inputs = Self.corpus(target).map { [UInt8]($0.data) }
    guard !inputs.isEmpty else {
      Issue.record("no corpus for \(target.rawValue)")
      return
    }
    var mutator = Mutator(
      stream: RandomStream(
        seed: 0x00FE_D51A_0000, purpose: StreamPurpose("fuzz-mutations"),
        client: UInt32(FuzzTarget.allCases.firstIndex(of: target)!)))
    var accepted = 0
    for _ in 0..<Self.mutationsPerTarget {
      let input = inputs[mutator.below(inputs.count)]
      let mutated = mutator.mutate(input, splicing: inputs[mutator.below(inputs.count)], limit: target.maximumLength)
      let outcomes = target.run(Data(mutated))
      if !outcomes.allSatisfy(Self.isTyped) {
        Issue.record("untyped error for input \(Data(mutated).base64EncodedString())")
      }
      if outcomes.contains(where: { (try? $0.get()) != nil }) { accepted += 1 }
    }
    // Some mutations must still be accepted, or the pass only exercises the first check.
    #expect(accepted > 0)
  }

  // MARK: - Inputs that once broke a reader

  @Test func traceClientIdsAreBounded() {
    // Int.max as a client id overflowed `largest + 1` (a trap); 10¹² allocated a list per client.
    let huge = Data("client,flops\n9223372036854775807,1e9\n".utf8)
    #expect(
      throws: TraceFileError(
        file: FuzzTarget.fileName, line: 2, column: 1,
        message: "client 9223372036854775807 is too large, expected a client id in 0...9999999")
    ) {
      try FuzzTarget.traceValues(huge).get()
    }
    let intervals = Data("client,start,end\n1000000000000,0,1\n".utf8)
    #expect(throws: TraceFileError.self) { try FuzzTarget.traceIntervals(intervals).get() }
    // The largest id is fine: clients without a row are offline.
    let last = try? FuzzTarget.traceIntervals(Data("client,start,end\n9999999,0,1\n".utf8)).get()
    #expect(last?.count == TraceFiles.maximumClients)
  }

  @Test func largeValidIdsStayCheap() throws {
    // Intervals up to client 9,000,020 probed every id up to it: past libFuzzer's 5-second
    // timeout under instrumentation. Only the listed clients are visited now.
    let intervals = try FuzzTarget.traceIntervals(Data("client,start,end\n9000020,0,3\n".utf8)).get()
    #expect(intervals.count == 9_000_021 && intervals[9_000_020].count == 1 && intervals[0].isEmpty)
    #expect(
      throws: TraceFileError(file: FuzzTarget.fileName, line: 3, column: 1, message: "client 1 has no row (ids must cover 0...9999999)")
    ) {
      try FuzzTarget.traceValues(Data("client,flops\n0,1\n9999999,1\n".utf8)).get()
    }
    // The edge-list harness caps node counts at 2²⁰ (2,000,003 nodes timed out instrumented) …
    let capped = try #require(FuzzTarget.edgeList(Data("0002000002,0".utf8)).failure)
    #expect(capped.kind == .tooLarge(limit: FuzzTarget.edgeListMaximumNodeCount))
    // … while the reader's own default still takes 2²⁴ nodes.
    #expect(try EdgeList.parse("nodes 16777216\n0 1\n").nodeCount == 1 << 24)
  }

  @Test func tracesWithWindowsLineBreaksRead() throws {
    // "\r\n" is one Character: a split on "\n" saw the whole file as one line.
    #expect(try FuzzTarget.traceValues(Data("client,flops\r\n0,1e9\r\n1,2e9\r\n".utf8)).get() == [1e9, 2e9])
    #expect(throws: TraceFileError(file: FuzzTarget.fileName, line: 0, column: 0, message: "cannot read: not UTF-8 text")) {
      try FuzzTarget.traceValues(Data([0x30, 0x2C, 0xFF])).get()
    }
  }

  @Test func modelConfigHeadDimOverflowIsAnError() {
    // head_dim × num_attention_heads overflowed (a trap) before it was compared to hidden_size.
    let json = Data(
      #"{"hidden_size": 32, "num_attention_heads": 4, "head_dim": 4611686018427387904, "vocab_size": 259, "num_hidden_layers": 1, "intermediate_size": 8, "max_position_embeddings": 8}"#
        .utf8)
    #expect(
      throws: CheckpointError.invalidConfig(
        file: FuzzTarget.fileName, field: "head_dim", value: "4611686018427387904", expected: "hidden_size / num_attention_heads = 8")
    ) {
      try FuzzTarget.modelConfig(json).get()
    }
  }

  @Test func adapterConfigActiveExpertsAreChecked() {
    let json = Data(
      #"{"r": 4, "target_modules": ["up_proj"], "fedsim_mixture": {"experts": 2, "generalists": 1, "top_k": 1, "importance": 0.5, "balance_weight": 0, "active_experts": 3}}"#
        .utf8)
    #expect(
      throws: CheckpointError.invalidConfig(
        file: FuzzTarget.fileName, field: "fedsim_mixture.active_experts", value: "3", expected: "1…2 (the experts)")
    ) {
      try FuzzTarget.adapterConfig(json).get()
    }
  }

  @Test func denseTopologiesAreRefusedBeforeTheyAreBuilt() {
    // crossCheck built the graph of a decentralized scenario: 5·10⁹ edges asked for 80 GB at once.
    let complete = Data("clients: 100000\ntopology: {kind: complete}\nschedule: {mode: gossip}\naggregator: {name: gossip}\n".utf8)
    #expect(throws: ScenarioError.self) { try FuzzTarget.scenario(complete).get() }
    if case .failure(let error) = FuzzTarget.scenario(complete) {
      #expect(error.issues.count == 1 && error.issues[0].path == "topology.kind")
      #expect(error.issues[0].message.hasPrefix("topology complete on 100000 clients has 5e+09 edges, expected at most 20000000"))
    }
    let regular = Data(
      "clients: 100000\ntopology: {kind: random-regular, k: 99998}\nschedule: {mode: gossip}\naggregator: {name: gossip}\n".utf8)
    #expect(throws: ScenarioError.self) { try FuzzTarget.scenario(regular).get() }
    // A sparse graph of the same size is still built and accepted.
    let ring = Data("clients: 100000\ntopology: {kind: ring}\nschedule: {mode: gossip}\naggregator: {name: gossip}\n".utf8)
    #expect(throws: Never.self) { try FuzzTarget.scenario(ring).get() }
  }

  /// Aliases of aliases: 10 lines repeat 10⁹ nodes.
  static let laughs: String = {
    var lines = [#"a: &a ["x","x","x","x","x","x","x","x","x","x"]"#]
    var previous = "a"
    for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
      lines.append("\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ",") + "]")
      previous = name
    }
    return lines.joined(separator: "\n") + "\n"
  }()

  @Test func yamlAliasBombsAndDeepNestingAreRefused() throws {
    // As a mapping key, the alias was hashed node by node to find duplicate keys: a hang. The
    // aliases are refused where they pass 100,000 nodes (line 5: e repeats d's 11,111 ten times).
    let key = try #require(FuzzTarget.scenario(Data((Self.laughs + "? *i\n: 1\n").utf8)).failure)
    #expect(key.issues.count == 1 && key.issues[0].line == 5)
    #expect(key.issues[0].message.hasPrefix("aliases repeat more than 100000 nodes"))
    // In an override too.
    let set =
      "--set name={a: &a [1,1,1,1,1,1,1,1,1,1], b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c], e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]}"
    let override = try #require(
      FuzzTarget.scenario(Data("clients: 4\n\(FuzzTarget.overrideSeparator)\(set.dropFirst(6))\n".utf8)).failure)
    #expect(override.issues.count == 1 && override.issues[0].file == set)
    // Deep nesting stops at libyaml's limit, before the recursive composer.
    let deep = try #require(FuzzTarget.scenario(Data(("name: " + String(repeating: "[", count: 5000)).utf8)).failure)
    #expect(deep.issues[0].message.hasPrefix("invalid YAML: Maximum nesting level reached"))
    // Anchors within the bounds still work.
    let anchors = "clients: 4\nname: &n quick\noutput: {dir: *n}\n"
    #expect(throws: Never.self) { try FuzzTarget.scenario(Data(anchors.utf8)).get() }
  }

  @Test func knownBadInputsGiveTheirTypedErrors() {
    #expect(throws: SafetensorsError.self) { try FuzzTarget.safetensors(Data([1, 0, 0, 0, 0, 0, 0, 0])).get() }
    #expect(throws: ScenarioError.self) { try FuzzTarget.scenario(Data("clients: 0\n".utf8)).get() }
    #expect(throws: ScenarioError.self) {
      try FuzzTarget.scenario(Data("clients: 4\n\(FuzzTarget.overrideSeparator)schedule=\n".utf8)).get()
    }
    #expect(throws: EdgeListError.self) { try FuzzTarget.edgeList(Data("0 1\n1 0\n".utf8)).get() }
    #expect(throws: EdgeListError.self) { try FuzzTarget.edgeList(Data("0 1\n2 3\n".utf8), requireConnected: true).get() }
  }

  // MARK: - Seeds from the project's own writers

  /// Seeds made by the project's writers (SafetensorsWriter, ModelCheckpoint.save,
  /// AdapterCheckpoint.save, EdgeList.format) and its documented formats. They must be accepted;
  /// `FEDSIM_WRITE_FUZZ_SEEDS=1 swift test --filter FuzzRegressionTests/writerSeeds` writes them
  /// into Fuzz/Corpus (scripts/fuzz.sh seeds).
  @Test func writerSeeds() throws {
    let seeds = try Self.seeds()
    for (target, name, data) in seeds {
      // Each seed is for one of the target's readers (a config.json or an adapter_config.json).
      let outcomes = target.run(data)
      if !outcomes.contains(where: { (try? $0.get()) != nil }) { Issue.record("\(target.rawValue)/\(name): \(outcomes)") }
    }
    guard ProcessInfo.processInfo.environment["FEDSIM_WRITE_FUZZ_SEEDS"] == "1" else { return }
    for (target, name, data) in seeds {
      let directory = Self.fuzzDirectory.appendingPathComponent("Corpus").appendingPathComponent(target.rawValue)
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try data.write(to: directory.appendingPathComponent(name))
    }
  }

  static func seeds() throws -> [(FuzzTarget, String, Data)] {
    var seeds: [(FuzzTarget, String, Data)] = []
    let repository = fuzzDirectory.deletingLastPathComponent()

    // Scenarios: the project's own, the decoder tests' one, and one with overrides.
    let scenarios = repository.appendingPathComponent("scenarios")
    for name in try FileManager.default.contentsOfDirectory(atPath: scenarios.path).sorted() where name.hasSuffix(".yaml") {
      seeds.append((.scenario, "seed-\(name)", try Data(contentsOf: scenarios.appendingPathComponent(name))))
    }
    seeds.append((.scenario, "seed-decoder-tests.yaml", Data(ScenarioDecoderTests.valid.utf8)))
    let overrides = [
      "schedule.rounds=3", "aggregator.name=fedavg", "devices.speed={log_normal: {median: 1e9, sigma: 0.5}}",
      "model.lora.targets=[q_proj, v_proj]", "data.partition={kind: iid}",
    ]
    seeds.append(
      (
        .scenario, "seed-with-overrides.yaml",
        Data((ScenarioDecoderTests.valid + FuzzTarget.overrideSeparator + overrides.joined(separator: "\n") + "\n").utf8)
      ))

    // Safetensors: what SafetensorsWriter writes, every dtype the reader knows, and a PEFT adapter.
    var writer = SafetensorsWriter(metadata: ["format": "pt", "note": "fuzz seed"])
    writer.add("layers.0.weight", shape: [2, 3], values: [1, -2, 0.5, 3e-8, .infinity, 0])
    writer.add("bias", shape: [4], values: [0, 1, 2, 3])
    writer.add("scale", shape: [], values: [7])
    seeds.append((.safetensors, "seed-writer.safetensors", writer.encoded()))
    seeds.append((.safetensors, "seed-empty.safetensors", SafetensorsWriter().encoded()))
    seeds.append((.safetensors, "seed-dtypes.safetensors", dtypesFile()))
    let fixtures = repository.appendingPathComponent("Tests/LearningTests/Fixtures")
    seeds.append(
      (
        .safetensors, "seed-peft-adapter.safetensors",
        try Data(contentsOf: fixtures.appendingPathComponent("tiny-llama-tied/adapter/adapter_model.safetensors"))
      ))

    // Configs: what `fedsim pretrain` and the adapter writer write, and transformers/PEFT's own.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-seeds-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try ModelCheckpoint.save(config: .nano, weights: ParameterSet(layout: .llama(.nano)), to: directory)
    seeds.append((.modelConfig, "seed-pretrain-config.json", try Data(contentsOf: directory.appendingPathComponent("config.json"))))
    let lora = LoRAConfig(rank: 4, alpha: 8, targets: [.q, .v, .up, .down], mixture: MixtureConfig(experts: 3, generalists: 1, topK: 2))
    var adapter = Adapter(config: lora, parameters: ParameterSet(layout: .lora(lora, model: .nano)))
    adapter.activeExperts = 2
    try AdapterCheckpoint.save(adapter, to: directory, baseModel: "nano")
    seeds.append(
      (.modelConfig, "seed-fedsim-adapter_config.json", try Data(contentsOf: directory.appendingPathComponent("adapter_config.json"))))
    for (name, path) in [
      ("seed-hf-config.json", "tiny-llama/config.json"), ("seed-hf-tied-config.json", "tiny-llama-tied/config.json"),
      ("seed-peft-adapter_config.json", "tiny-llama/adapter/adapter_config.json"),
    ] {
      seeds.append((.modelConfig, name, try Data(contentsOf: fixtures.appendingPathComponent(path))))
    }

    // Edge lists: EdgeList.format's output and every form the format allows.
    seeds.append((.edgeList, "seed-format-ring.txt", Data(EdgeList.format(try Graph.ring(n: 6)).utf8)))
    seeds.append(
      (
        .edgeList, "seed-forms.txt",
        Data("# a graph in every notation\nnodes: 6   # declared\n0 1\n1,2\n2-3\n3 , 4 # spaces\n4\t-\t5\n5 0\n\n".utf8)
      ))
    seeds.append((.edgeList, "seed-bom-crlf.txt", Data("\u{FEFF}NODES=4\r\n0 1\r\n1 2\r\n2 3\r\n".utf8)))
    seeds.append((.edgeList, "seed-inferred.txt", Data("0 1\n1 4\n4 2\n2 3\n".utf8)))

    // Traces: values and intervals with headers, comments, blank lines and CRLF.
    seeds.append((.traces, "seed-values.csv", Data("client,flops\n# phones\n1, 2e9\n0,1e9\n\n2,5e8\n".utf8)))
    seeds.append((.traces, "seed-intervals.csv", Data("client,start,end\n0,10,20\n0,0,5\n1,3,4  # short\n3,0.5,1e3\n".utf8)))
    seeds.append((.traces, "seed-crlf.csv", Data("client,bandwidth\r\n0,1e6\r\n1,2.5e6\r\n".utf8)))
    return seeds
  }

  /// A safetensors file with one small tensor of every dtype (the writer only writes F32).
  static func dtypesFile() -> Data {
    let tensors: [(String, String, [Int], [UInt8])] = [
      ("f64", "F64", [2], [0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0xF0, 0x7F]),
      ("f16", "F16", [2], [0x00, 0x3C, 0x01, 0x00]),
      ("bf16", "BF16", [2, 1], [0x80, 0x3F, 0x80, 0xFF]),
      ("i64", "I64", [1], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
      ("i32", "I32", [2], [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
      ("i16", "I16", [2], [1, 0, 0x00, 0x80]),
      ("i8", "I8", [2], [0x7F, 0x80]),
      ("u8", "U8", [2], [0, 0xFF]),
      ("mask", "BOOL", [2], [0, 1]),
      ("none", "F32", [0, 3], []),
    ]
    var offset = 0
    var entries: [String] = []
    var body: [UInt8] = []
    for (name, dtype, shape, bytes) in tensors {
      entries.append(
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes.count)]}"
      )
      offset += bytes.count
      body += bytes
    }
    let header = Array("{\(entries.joined(separator: ","))}".utf8)
    var data = Data()
    for i in 0..<8 { data.append(UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64(i)))) }
    data.append(contentsOf: header)
    data.append(contentsOf: body)
    return data
  }
}

extension Result {
  /// The error of a failure, nil for a success.
  var failure: Failure? {
    if case .failure(let error) = self { return error }
    return nil
  }
}
