import Foundation
import Testing

@testable import Learning

/// Sizes read from files are checked before anything is allocated (issue: reliability). Each case
/// below crashed, hung or was accepted silently before.
@Suite struct ResourceBoundsTests {
  /// A safetensors file from a raw header and data.
  func file(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    var bytes = Data()
    var length = (declaredLength ?? UInt64(header.utf8.count)).littleEndian
    withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: Array(header.utf8))
    bytes.append(contentsOf: data)
    return bytes
  }

  func reason(_ data: Data) -> String {
    do {
      _ = try SafetensorsFile(data: data, path: "x.safetensors")
      return "accepted"
    } catch { return error.description }
  }

  @Test func shapesWhoseSizeOverflowsAreRefused() {
    // [64, 64 + 2⁵⁶] trapped on overflow; [2³², 2³²] was refused with "needs 0 bytes".
    let huge = reason(file(#"{"w":{"dtype":"F32","shape":[64,72057594037928000],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]))
    #expect(huge.contains("more bytes than a 64-bit size can count"), "\(huge)")
    let square = reason(file(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]))
    #expect(square.contains("more bytes than a 64-bit size can count") && !square.contains("needs 0 bytes"), "\(square)")
  }

  @Test func headersAbove100MBAreRefusedBeforeReading() {
    let message = reason(file("{}", declaredLength: 1_500_000_000))
    #expect(message.contains("100 MB"), "\(message)")
  }

  @Test func repeatedNamesOverlapsAndGapsAreRefused() {
    let repeated = reason(
      file(
        #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
        data: Array(repeating: 0, count: 8)))
    #expect(repeated.contains("'w' appears more than once"), "\(repeated)")
    let overlap = reason(
      file(
        #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
        data: Array(repeating: 0, count: 8)))
    #expect(overlap.contains("overlaps"), "\(overlap)")
    let gap = reason(
      file(
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
        data: Array(repeating: 0, count: 12)))
    #expect(gap.contains("belong to no tensor"), "\(gap)")
    let trailing = reason(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 8)))
    #expect(trailing.contains("after the last tensor"), "\(trailing)")
    // Keys inside nested objects and escaped quotes do not count as repeats.
    #expect(
      reason(file(#"{"__metadata__":{"w":"x\"w\""},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]))
        == "accepted")
  }

  @Test(arguments: [
    (1_000_000_000_000, 32, 2, 88, 64),  // vocab_size 1e12
    (259, 32, 2, 1_000_000_000_000, 64),  // intermediate_size 1e12
    (259, 32, 2, 88, 1_000_000_000_000),  // max_position_embeddings 1e12
    (259, 17_179_869_184, 2, 88, 64),  // hidden_size 2³⁴
    (259, 32, 1_000_000_000, 88, 64),  // num_hidden_layers 1e9 (hung before)
  ])
  func modelSizesThatCannotFitAreRefusedWithTheEstimate(vocab: Int, dim: Int, layers: Int, ffn: Int, context: Int) {
    let config = ModelConfig(vocabSize: vocab, dim: dim, layers: layers, heads: 4, kvHeads: 2, ffnDim: ffn, contextLength: context)
    #expect {
      try config.validate()
    } throws: { error in
      guard case ModelError.invalidConfig(let field, _, let expected) = error else { return false }
      return field == "size" && expected.contains("GB")
    }
    #expect(throws: ModelError.self) { try DecoderLM(config: config) }
  }

  @Test func loraRanksAreBounded() {
    #expect(throws: ModelError.self) { try LoRAConfig(rank: 1_000_000_000_000).validate() }
    #expect(throws: Never.self) { try LoRAConfig(rank: 64).validate() }
  }

  @Test func aConfigFileWithHugeSizesIsACheckpointError() throws {
    let directory = CheckpointTests().copyFixture("tiny-llama")
    let configURL = directory.appendingPathComponent("config.json")
    let original = try String(contentsOf: configURL, encoding: .utf8)
    try original.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 1000000000")
      .write(to: configURL, atomically: true, encoding: .utf8)
    #expect {
      try ModelCheckpoint.load(from: directory)
    } throws: { error in
      guard case CheckpointError.invalidConfig(_, let field, _, _) = error else { return false }
      return field == "size"
    }
  }
}
