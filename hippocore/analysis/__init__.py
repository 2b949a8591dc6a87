"""Spatial analysis of model units and real recordings with the rodent-lab methods.

Rate maps, spatial autocorrelograms and BNT gridness; place fields, spatial information,
border, head-direction, speed, remapping and band (Fourier) scores; shuffles and
classification. numpy, scipy, scikit-image and xarray only: never torch, io or plotting.
"""

__all__: list[str] = []
