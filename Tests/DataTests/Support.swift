import Foundation
import Randomness
import Testing

@testable import Data

/// A test's random stream.
func stream(seed: UInt64 = 1, client: UInt32 = 0) -> RandomStream {
  RandomStream(seed: seed, purpose: StreamPurpose("data-tests"), client: client)
}

/// A fresh directory under the system temporary directory, removed when the value goes away.
final class TemporaryDirectory {
  let path: String

  init() throws {
    path =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("fedsim-data-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// Writes `text` to `relativePath`, creating folders as needed; returns the full path.
  @discardableResult
  func write(_ relativePath: String, _ text: String) throws -> String {
    try write(relativePath, bytes: Array(text.utf8))
  }

  @discardableResult
  func write(_ relativePath: String, bytes: [UInt8]) throws -> String {
    let full = path + "/" + relativePath
    let folder = (full as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try Foundation.Data(bytes).write(to: URL(fileURLWithPath: full))
    return full
  }
}

/// The error `body` throws, or nil (recorded as a failure) when it does not throw a `DataError`.
func dataError(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(DataError) -> Void
) -> DataError? {
  do {
    try body()
    Issue.record("expected a DataError", sourceLocation: sourceLocation)
    return nil
  } catch {
    return error
  }
}

/// A corpus of `perDomain[d]` one-token documents per domain (token = document index).
func labelledCorpus(_ perDomain: [Int]) throws(DataError) -> Corpus {
  var documents: [Document] = []
  for (d, count) in perDomain.enumerated() {
    for _ in 0..<count { documents.append(Document(tokens: [Int32(documents.count)], domain: d)) }
  }
  return try Corpus(documents: documents, domainNames: perDomain.indices.map { "d\($0)" })
}
