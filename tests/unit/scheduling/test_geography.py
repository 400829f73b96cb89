from services.scheduling.domain.geography import distance_km, hilbert_key


def test_distance_between_tigaraksa_and_jakarta_is_about_45_km():
    tigaraksa, monas = (-6.2600, 106.4800), (-6.1754, 106.8272)
    assert 35 < distance_km(tigaraksa, monas) < 45
    assert distance_km(monas, monas) == 0


def test_hilbert_order_keeps_neighbours_close():
    # points along a small grid: the curve visits each cell once, so keys are distinct, and two
    # adjacent cells are on average far closer on the curve than two opposite corners
    cells = [(-6.0 - i * 0.01, 106.0 + j * 0.01) for i in range(8) for j in range(8)]
    keys = [hilbert_key(lat, lon) for lat, lon in cells]
    assert len(set(keys)) == len(keys)
    near = abs(hilbert_key(-6.00, 106.00) - hilbert_key(-6.00, 106.0001))
    far = abs(hilbert_key(-6.00, 106.00) - hilbert_key(5.0, 140.0))
    assert near < far
