import { dlibBuildLabel } from './dlib-build';

describe('dlibBuildLabel', () => {
  const worker = (notes: string) =>
    `nats: ok\nworker: ok (http://127.0.0.1:8500: ok (dlib_face_recognition_resnet_model_v1, ${notes}))`;

  it('names the build and the progress of the OpenBLAS compile', () => {
    expect(dlibBuildLabel(worker('dlib: bin (~4x slower encoding), OpenBLAS build 42%'))).toBe(
      'dlib-bin · OpenBLAS build 42%',
    );
    expect(dlibBuildLabel(worker('dlib: bin (~4x slower encoding), switching to OpenBLAS'))).toBe(
      'dlib-bin · switching to OpenBLAS',
    );
    expect(dlibBuildLabel(worker('dlib: bin (~4x slower encoding), OpenBLAS build failed: no BLAS'))).toBe(
      'dlib-bin · OpenBLAS build failed',
    );
    expect(dlibBuildLabel(worker('dlib: openblas'))).toBe('dlib OpenBLAS');
  });

  it('says nothing when the worker does not name its build', () => {
    expect(dlibBuildLabel(worker('dlib without BLAS (~4x slower encoding)'))).toBeNull();
    expect(dlibBuildLabel('')).toBeNull();
  });
});
