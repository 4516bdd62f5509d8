/**
 * The verdicts on renderer strings as browsers report them: Chromium's ANGLE strings (`ANGLE (vendor, device,
 * API)`), Mesa's, Windows' WARP, Apple's software renderer, and hardware GPUs that must not be mistaken for one.
 */
import { describe, expect, it } from 'vitest';
import { softwareAdapter, softwareRenderer, softwareSkipReason } from './software-gpu.js';

describe('softwareRenderer', () => {
  it.each([
    ['ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)', 'SwiftShader'],
    ['Google SwiftShader', 'SwiftShader'],
    ['ANGLE (Mesa, llvmpipe (LLVM 15.0.6, 256 bits), OpenGL 4.5)', 'llvmpipe'],
    ['llvmpipe (LLVM 15.0.6, 256 bits)', 'llvmpipe'],
    ['softpipe', 'softpipe'],
    [
      'ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0, D3D11)',
      'Microsoft Basic Render Driver',
    ],
    ['GDI Generic', 'GDI Generic'],
    ['Apple Software Renderer', 'Software Renderer'],
    ['Software Rasterizer', 'Software Rasterizer'],
  ])('names the software renderer in %s', (renderer, name) => {
    expect(softwareRenderer(renderer)).toBe(name);
  });

  it.each([
    'ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)',
    'ANGLE (Apple, ANGLE Metal Renderer: Apple M1, Unspecified Version)',
    'ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)',
    'ANGLE (AMD, AMD Radeon RX 6800 XT (radeonsi, navi21, LLVM 15.0.7, DRM 3.49), OpenGL 4.6)',
    'Adreno (TM) 650',
    'Mali-G78',
    // Masked: says nothing either way, so it is not called software.
    'WebKit WebGL',
    '',
  ])('finds no software renderer in %j', (renderer) => {
    expect(softwareRenderer(renderer)).toBeNull();
  });
});

describe('softwareAdapter', () => {
  const hardware = { vendor: 'nvidia', architecture: 'ampere', device: '', description: '', isFallbackAdapter: false };

  it("names Chromium's SwiftShader adapter and its fallback flag", () => {
    const swiftshader = { ...hardware, vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true };
    expect(softwareAdapter(swiftshader)).toBe('SwiftShader (fallback adapter)');
  });

  it("names Mesa's lavapipe by its description, flagged or not", () => {
    const lavapipe = { ...hardware, vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' };
    expect(softwareAdapter(lavapipe)).toBe('llvmpipe');
  });

  it('calls a fallback adapter with no known name software', () => {
    expect(softwareAdapter({ ...hardware, vendor: '', architecture: '', isFallbackAdapter: true })).toBe(
      'fallback adapter',
    );
  });

  it('finds a hardware adapter hardware', () => {
    expect(softwareAdapter(hardware)).toBeNull();
    expect(softwareAdapter({ ...hardware, vendor: 'apple', architecture: 'metal-3' })).toBeNull();
  });
});

it('says why auto passes over a software GPU', () => {
  expect(softwareSkipReason('renderer', 'SwiftShader')).toBe('software renderer SwiftShader, wasm is faster here');
});
