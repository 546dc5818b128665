/// Reads a directory of plain-text files as a corpus.
///
/// - `.perFile`: every file under the directory (recursively) is a domain named by its path
///   relative to the directory (`news/2021.txt`).
/// - `.perFolder`: every immediate sub-folder is a domain named by the folder, holding the
///   documents of all files under it (recursively); files directly in the directory are not read.
///
/// Documents are paragraphs or fixed-size chunks (`TextSegmentation`). Hidden files and folders
/// are skipped, files are read in byte order of their paths, and bytes are tokens.
public struct TextDirectoryReader: Sendable {
  /// What a domain is.
  public enum Domains: String, Sendable, Equatable, CaseIterable {
    case perFile = "file"
    case perFolder = "folder"
  }

  public var domains: Domains
  public var segmentation: TextSegmentation
  /// Read only files with one of these extensions (without the dot, e.g. `["txt", "md"]`); nil
  /// reads every file.
  public var fileExtensions: [String]?

  public init(
    domains: Domains = .perFile, segmentation: TextSegmentation = .paragraphs,
    fileExtensions: [String]? = nil
  ) {
    self.domains = domains
    self.segmentation = segmentation
    self.fileExtensions = fileExtensions
  }

  /// - Throws: `.unreadable` for a missing directory or file; `.invalidParameter` for a chunk size
  ///   below 1; `.empty` for a domain (file or folder) without any document, or no domain at all.
  public func read(directory: String) throws(DataError) -> Corpus {
    if case .chunks(let size) = segmentation {
      try DataError.require(size >= 1, directory, "chunk size", size, expected: "at least 1 byte")
    }
    let include: (String) -> Bool = { path in
      guard let extensions = fileExtensions else { return true }
      let name = path.split(separator: "/").last.map(String.init) ?? path
      guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
      return extensions.contains(String(name[name.index(after: dot)...]))
    }
    var documents: [Document] = []
    var names: [String] = []
    switch domains {
    case .perFile:
      for path in try FileAccess.files(under: directory, include: include) {
        let full = FileAccess.join(directory, path)
        let pieces = segmentation.split(try FileAccess.read(full))
        guard !pieces.isEmpty else {
          throw DataError(source: full, kind: .empty, expected: "some non-blank text (one domain per file)")
        }
        documents += pieces.map { Document(bytes: $0, domain: names.count) }
        names.append(path)
      }
    case .perFolder:
      try FileAccess.requireDirectory(directory)
      for name in try FileAccess.entries(of: directory) {
        let folder = FileAccess.join(directory, name)
        guard FileAccess.isDirectory(folder) == true else { continue }
        let before = documents.count
        for path in try FileAccess.files(under: folder, include: include) {
          let pieces = segmentation.split(try FileAccess.read(FileAccess.join(folder, path)))
          documents += pieces.map { Document(bytes: $0, domain: names.count) }
        }
        guard documents.count > before else {
          throw DataError(source: folder, kind: .empty, expected: "some non-blank text (one domain per folder)")
        }
        names.append(name)
      }
    }
    guard !names.isEmpty else {
      let what = domains == .perFile ? "at least one readable file" : "at least one sub-folder with text"
      throw DataError(source: directory, kind: .empty, expected: what)
    }
    return try Corpus(documents: documents, domainNames: names, source: directory)
  }
}
