//! G.711 mu-law, tone generation and tone detection (Goertzel) shared by media, recording and tests.
