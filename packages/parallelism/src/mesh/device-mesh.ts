/**
 * A device mesh: the world's ranks arranged as DP × PP × CP × TP (TP innermost, so a tensor-parallel group sits
 * inside a node, then CP, as the planner assumes), and one communicator per axis, made with `split`:
 *
 *   rank = ((dp_i · PP + pp_i) · CP + cp_i) · TP + tp_i
 *
 * The groups along an axis are the ranks that differ only in that coordinate; each is ranked by it.
 */
import type { Communicator } from '../communicator.js';

export interface MeshShape {
  readonly dp: number;
  readonly pp: number;
  readonly cp: number;
  readonly tp: number;
}

type Axis = keyof MeshShape;

const AXES: readonly Axis[] = ['dp', 'pp', 'cp', 'tp'];

export interface DeviceMesh {
  readonly shape: MeshShape;
  /** This rank's coordinate along each axis. */
  readonly coordinates: Readonly<Record<Axis, number>>;
  /** The communicator of this rank's group along each axis. */
  readonly groups: Readonly<Record<Axis, Communicator>>;
  /**
   * The ranks that hold the same parameters: DP × CP (context-parallel ranks hold the whole model too), ranked by
   * dp · CP + cp. Gradients and ZeRO-1 state are summed / sharded over it (Megatron's data-parallel group with CP).
   */
  readonly replicas: Communicator;
}

/** This rank's coordinates in the mesh. */
export function meshCoordinates(rank: number, shape: MeshShape): Record<Axis, number> {
  let rest = rank;
  const out = {} as Record<Axis, number>;
  for (const axis of [...AXES].reverse()) {
    out[axis] = rest % shape[axis];
    rest = Math.floor(rest / shape[axis]);
  }
  return out;
}

/** Splits `world` into the mesh's groups (a collective: every rank of `world` calls it with the same shape). */
export async function deviceMesh(world: Communicator, shape: MeshShape): Promise<DeviceMesh> {
  const size = AXES.reduce((n, axis) => n * shape[axis], 1);
  if (AXES.some((axis) => !Number.isInteger(shape[axis]) || shape[axis] < 1) || size !== world.worldSize) {
    throw new Error(
      `device mesh DP ${shape.dp} × PP ${shape.pp} × CP ${shape.cp} × TP ${shape.tp} does not cover ${world.worldSize} ranks`,
    );
  }
  const coordinates = meshCoordinates(world.rank, shape);
  const groups = {} as Record<Axis, Communicator>;
  for (const axis of AXES) {
    // The group's colour: the rank with this axis's coordinate set to 0 (the same for the whole group).
    const stride = AXES.slice(AXES.indexOf(axis) + 1).reduce((n, a) => n * shape[a], 1);
    groups[axis] = await world.split(world.rank - coordinates[axis] * stride, coordinates[axis]);
  }
  const { dp, cp } = coordinates;
  const replicas = await world.split(coordinates.pp * shape.tp + coordinates.tp, dp * shape.cp + cp);
  return { shape, coordinates, groups, replicas };
}
