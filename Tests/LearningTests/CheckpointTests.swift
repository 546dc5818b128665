import Foundation
import Testing

@testable import Learning

/// Round trips and every kind of bad checkpoint: a clear typed error, never a crash.
@Suite struct CheckpointTests {
  func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-test-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  func copyFixture(_ name: String) -> URL {
    let destination = temporaryDirectory().appendingPathComponent(name)
    try! FileManager.default.copyItem(at: fixtureURL(name), to: destination)
    return destination
  }

  @Test func modelRoundTrip() throws {
    let config = ModelConfig(dim: 16, layers: 1, heads: 2, ffnDim: 24, contextLength: 8, tiedEmbeddings: true)
    let weights = ParameterSet.llama(config, seed: 3)
    let directory = temporaryDirectory()
    try ModelCheckpoint.save(config: config, weights: weights, to: directory)
    let (loadedConfig, loaded) = try ModelCheckpoint.load(from: directory)
    #expect(loadedConfig == config)
    #expect(loaded.storage.toArray() == weights.storage.toArray())
  }

  @Test func adapterRoundTripKeepsPEFTNamesAndConfig() throws {
    let directory = fixtureURL("tiny-llama")
    let (config, _) = try ModelCheckpoint.load(from: directory)
    let adapter = try AdapterCheckpoint.load(from: directory.appendingPathComponent("adapter-rslora"), model: config)
    #expect(adapter.config.useRSLoRA && adapter.config.rank == 4 && adapter.config.targets.count == 7)
    #expect(abs(adapter.config.scaling - 4) < 1e-6)  // 8 / √4
    let out = temporaryDirectory()
    try AdapterCheckpoint.save(adapter, to: out)
    let again = try AdapterCheckpoint.load(from: out, model: config)
    #expect(again.config == adapter.config)
    #expect(again.parameters.storage.toArray() == adapter.parameters.storage.toArray())
    let original = try SafetensorsFile(contentsOf: directory.appendingPathComponent("adapter-rslora/adapter_model.safetensors"))
    let written = try SafetensorsFile(contentsOf: out.appendingPathComponent("adapter_model.safetensors"))
    #expect(original.names == written.names)
  }

  @Test func safetensorsConvertsHalfAndBFloat16() throws {
    // Header for three tensors: F16 [1.0, -2.0, 65504], BF16 [1.5], F64 [0.25].
    let header =
      #"{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[6,8]},"c":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}"#
    var data = Data()
    var length = UInt64(header.utf8.count).littleEndian
    withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array(header.utf8))
    data.append(contentsOf: [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b])  // 1.0, -2.0, 65504 in binary16
    data.append(contentsOf: [0xc0, 0x3f])  // 1.5 in bfloat16
    var quarter = (0.25).bitPattern.littleEndian
    withUnsafeBytes(of: &quarter) { data.append(contentsOf: $0) }
    let file = try SafetensorsFile(data: data, path: "memory")
    #expect(try file.floats("a") == [1, -2, 65504])
    #expect(try file.floats("b") == [1.5])
    #expect(try file.floats("c") == [0.25])
  }

  @Test func truncatedWeightsFail() throws {
    let directory = copyFixture("tiny-llama")
    let file = directory.appendingPathComponent("model.safetensors")
    let data = try Data(contentsOf: file)
    try data.prefix(data.count - 100).write(to: file)
    #expect {
      try ModelCheckpoint.load(from: directory)
    } throws: { error in
      guard case CheckpointError.tensors(.truncated(let path, let reason)) = error else { return false }
      return path.hasSuffix("model.safetensors") && reason.contains("ends at byte")
    }
    try Data([1, 2, 3]).write(to: file)
    #expect(throws: CheckpointError.tensors(.truncated(path: file.path, reason: "3 bytes, the header length alone takes 8"))) {
      try ModelCheckpoint.load(from: directory)
    }
  }

  @Test func garbageHeaderFails() throws {
    var data = Data()
    var length = UInt64(5).littleEndian
    withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array("{nope".utf8))
    #expect {
      try SafetensorsFile(data: data, path: "x.safetensors")
    } throws: { error in
      guard case SafetensorsError.invalidHeader(let path, _) = error else { return false }
      return path == "x.safetensors"
    }
  }

  /// Rewrites a fixture's weights with one tensor changed.
  func rewriteWeights(_ directory: URL, _ edit: (inout [(String, [Int], [Float])]) -> Void, dtypeOverride: String? = nil) throws {
    let url = directory.appendingPathComponent("model.safetensors")
    let file = try SafetensorsFile(contentsOf: url)
    var tensors = try file.names.map { ($0, file.tensors[$0]!.shape, try file.floats($0)) }
    edit(&tensors)
    var writer = SafetensorsWriter()
    for (name, shape, values) in tensors { writer.add(name, shape: shape, values: values) }
    var data = writer.encoded()
    if let dtypeOverride {
      // Rewrite the JSON header only (same length: "F32" → a three-letter dtype), not the data.
      precondition(dtypeOverride.utf8.count == 3)
      let headerLength = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
      let header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
        .replacingOccurrences(of: "\"F32\"", with: "\"\(dtypeOverride)\"")
      data = data.prefix(8) + Data(header.utf8) + data.dropFirst(8 + headerLength)
    }
    try data.write(to: url)
  }

  @Test func missingTensorFails() throws {
    let directory = copyFixture("tiny-llama")
    try rewriteWeights(directory) { $0.removeAll { $0.0 == "model.layers.1.mlp.up_proj.weight" } }
    #expect {
      try ModelCheckpoint.load(from: directory)
    } throws: { error in
      guard case CheckpointError.model(.missingTensor(let name, _)) = error else { return false }
      return name == "model.layers.1.mlp.up_proj.weight"
    }
  }

  @Test func wrongShapeFails() throws {
    let directory = copyFixture("tiny-llama")
    try rewriteWeights(directory) { tensors in
      let i = tensors.firstIndex { $0.0 == "model.norm.weight" }!
      tensors[i] = ("model.norm.weight", [31], Array(tensors[i].2.prefix(31)))
    }
    #expect {
      try ModelCheckpoint.load(from: directory)
    } throws: { error in
      guard case CheckpointError.model(.shapeMismatch(let name, let expected, let found, _)) = error else { return false }
      return name == "model.norm.weight" && expected == [32] && found == [31]
    }
  }

  @Test func unexpectedTensorFails() throws {
    let directory = copyFixture("tiny-llama")
    try rewriteWeights(directory) { $0.append(("model.layers.2.self_attn.q_proj.weight", [32, 32], [Float](repeating: 0, count: 1024))) }
    #expect {
      try ModelCheckpoint.load(from: directory)
    } throws: { error in
      guard case CheckpointError.model(.unexpectedTensor(let name, _)) = error else { return false }
      return name == "model.layers.2.self_attn.q_proj.weight"
    }
  }

  @Test func wrongDTypeFails() throws {
    let directory = copyFixture("tiny-llama")
    try rewriteWeights(directory, { _ in }, dtypeOverride: "I32")
    #expect {
      try ModelCheckpoint.load(from: directory)
    } throws: { error in
      guard case CheckpointError.tensors(.wrongDType(_, _, let dtype, _)) = error else { return false }
      return dtype == "I32"
    }
    let second = copyFixture("tiny-llama")
    try rewriteWeights(second, { _ in }, dtypeOverride: "U16")
    #expect {
      try ModelCheckpoint.load(from: second)
    } throws: { error in
      guard case CheckpointError.tensors(.unsupportedDType(_, _, let dtype)) = error else { return false }
      return dtype == "U16"
    }
  }

  @Test func mismatchedConfigFails() throws {
    let directory = copyFixture("tiny-llama")
    let configURL = directory.appendingPathComponent("config.json")
    let original = try String(contentsOf: configURL, encoding: .utf8)
    // A config that disagrees with the weights: every projection has the wrong shape.
    try original.replacingOccurrences(of: "\"intermediate_size\": 88", with: "\"intermediate_size\": 64")
      .write(to: configURL, atomically: true, encoding: .utf8)
    #expect {
      try ModelCheckpoint.load(from: directory)
    } throws: { error in
      guard case CheckpointError.model(.shapeMismatch(let name, _, _, _)) = error else { return false }
      return name.contains("mlp")
    }
    // Invalid values and unsupported architectures name the field.
    try original.replacingOccurrences(of: "\"num_key_value_heads\": 2", with: "\"num_key_value_heads\": 3")
      .write(to: configURL, atomically: true, encoding: .utf8)
    #expect(
      throws: CheckpointError.invalidConfig(
        file: configURL.path, field: "num_key_value_heads", value: "3", expected: "a positive divisor of num_attention_heads 4")
    ) {
      try ModelCheckpoint.load(from: directory)
    }
    try original.replacingOccurrences(of: "\"hidden_act\": \"silu\"", with: "\"hidden_act\": \"gelu\"")
      .write(to: configURL, atomically: true, encoding: .utf8)
    #expect(throws: CheckpointError.invalidConfig(file: configURL.path, field: "hidden_act", value: "gelu", expected: "\"silu\" (SwiGLU)"))
    {
      try ModelCheckpoint.load(from: directory)
    }
    try original.replacingOccurrences(of: "\"hidden_size\": 32", with: "\"hidden_size\": \"wide\"")
      .write(to: configURL, atomically: true, encoding: .utf8)
    #expect {
      try ModelCheckpoint.load(from: directory)
    } throws: { error in
      guard case CheckpointError.invalidJSON(_, let reason) = error else { return false }
      return reason.contains("hidden_size")
    }
    try FileManager.default.removeItem(at: configURL)
    #expect(throws: CheckpointError.missingFile(path: configURL.path)) { try ModelCheckpoint.load(from: directory) }
  }

  @Test func adapterForAnotherModelFails() throws {
    let (tiedConfig, _) = try ModelCheckpoint.load(from: fixtureURL("tiny-llama-tied"))
    #expect {
      try AdapterCheckpoint.load(from: fixtureURL("tiny-llama/adapter"), model: tiedConfig)
    } throws: { error in
      if case CheckpointError.model(.shapeMismatch) = error { return true }
      if case CheckpointError.model(.unexpectedTensor) = error { return true }
      return false
    }
  }

  @Test func unsupportedAdapterConfigsNameTheField() throws {
    let directory = copyFixture("tiny-llama")
    let configURL = directory.appendingPathComponent("adapter/adapter_config.json")
    let original = try String(contentsOf: configURL, encoding: .utf8)
    let (config, _) = try ModelCheckpoint.load(from: directory)
    try original.replacingOccurrences(of: "\"use_dora\": false", with: "\"use_dora\": true")
      .write(to: configURL, atomically: true, encoding: .utf8)
    #expect(
      throws: CheckpointError.invalidConfig(
        file: configURL.path, field: "use_dora", value: "true", expected: "false (DoRA is not supported)")
    ) {
      try AdapterCheckpoint.load(from: directory.appendingPathComponent("adapter"), model: config)
    }
    try original.replacingOccurrences(of: "\"q_proj\",", with: "\"qkv_proj\",")
      .write(to: configURL, atomically: true, encoding: .utf8)
    #expect {
      try AdapterCheckpoint.load(from: directory.appendingPathComponent("adapter"), model: config)
    } throws: { error in
      guard case CheckpointError.invalidConfig(_, let field, let value, _) = error else { return false }
      return field == "target_modules" && value == "\"qkv_proj\""
    }
  }
}
