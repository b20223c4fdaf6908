// `wacs pull`'s URI handling. Hugging Face is out of reach from CI, so the downloads themselves are
// not tested: what is tested is which inputs are accepted, that a model already in the folder is
// found without the network, and that an unreachable host fails fast with a clear message.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePullUri, pullModel } from '../src/pull.js';
import { tempDir } from './helpers.js';

describe('parsePullUri', () => {
  it('accepts Hugging Face URIs in node-llama-cpp\'s forms, and http(s) URLs', () => {
    expect(parsePullUri('hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M')).toEqual({
      kind: 'huggingface',
      uri: 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M',
      user: 'Qwen',
      repo: 'Qwen2.5-0.5B-Instruct-GGUF',
    });
    expect(parsePullUri(' hf:user/repo/sub/model.gguf#dev ')).toMatchObject({ kind: 'huggingface', uri: 'hf:user/repo/sub/model.gguf#dev', user: 'user', repo: 'repo' });
    expect(parsePullUri('huggingface:user/repo')).toMatchObject({ kind: 'huggingface', user: 'user', repo: 'repo' });
    expect(parsePullUri('hf.co/user/repo:Q8_0')).toMatchObject({ kind: 'huggingface', user: 'user', repo: 'repo' });
    expect(parsePullUri('https://example.com/models/tiny.gguf')).toEqual({ kind: 'url', uri: 'https://example.com/models/tiny.gguf', host: 'example.com' });
  });

  it('refuses local paths, other schemes and incomplete URIs, saying what it takes', () => {
    expect(() => parsePullUri('./model.gguf')).toThrow(/looks like a local path: wacs run --model <name>=\.\/model\.gguf loads it/);
    expect(() => parsePullUri('C:\\models\\m.gguf')).toThrow(/looks like a local path/);
    expect(() => parsePullUri('ftp://example.com/m.gguf')).toThrow(/the ftp: scheme is not supported; wacs pull takes hf:/);
    expect(() => parsePullUri('hf:justauser')).toThrow(/names no Hugging Face repository/);
    expect(() => parsePullUri('hf:user/repo/')).toThrow(/names no file/);
  });
});

describe('pullModel', () => {
  it('finds a model already in the folder under node-llama-cpp\'s name for the URI, without the network', async () => {
    const dir = tempDir();
    // node-llama-cpp names hf:<user>/<repo>/<file> downloads hf_<user>_<repo>_<file>.
    writeFileSync(join(dir, 'hf_user_repo_model.gguf'), 'GGUF');
    expect(await pullModel('hf:user/repo/model.gguf', { to: dir, progress: false })).toBe(join(dir, 'hf_user_repo_model.gguf'));
  });

  it('fails fast, naming the host, when it cannot be reached', async () => {
    // .invalid never resolves (RFC 2606), so this fails the same way with or without a network.
    await expect(pullModel('https://models.invalid/tiny.gguf', { to: tempDir(), progress: false })).rejects.toThrow(
      /cannot reach models\.invalid: .*ENOTFOUND.*\(wacs pull needs network access to models\.invalid\)/,
    );
  });
});
