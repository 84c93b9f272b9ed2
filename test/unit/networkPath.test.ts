import * as assert from "node:assert/strict";
import { networkPathReason } from "../../src/models/networkPath";

describe("network model paths (networkPath)", () => {
  it("names UNC paths, device paths and URLs in either slash style, whatever the case", () => {
    for (const path of ["\\\\server\\share\\model.gguf", "//server/share/model.gguf", "\\\\?\\UNC\\server\\share\\m.gguf", "\\\\?\\unc\\server\\s\\m.gguf", "\\\\evil.example@SSL\\DavWWWRoot\\m.gguf", "  \\\\server\\share\\m.gguf"]) {
      assert.match(networkPathReason(path) ?? "", /UNC path/, path);
    }
    assert.match(networkPathReason("\\\\.\\pipe\\model") ?? "", /device path/);
    for (const url of ["smb://server/share/m.gguf", "https://example.com/m.gguf", "file://server/share/m.gguf"]) assert.match(networkPathReason(url) ?? "", /URL/, url);
  });

  it("leaves local paths alone: POSIX, drive letters, long-path prefixes, home, relative", () => {
    for (const path of ["/home/me/models/m.gguf", "C:\\models\\m.gguf", "c:/models/m.gguf", "\\\\?\\C:\\models\\m.gguf", "~/models/m.gguf", "models/m.gguf", "", "/"]) {
      assert.equal(networkPathReason(path), undefined, path);
    }
  });
});
