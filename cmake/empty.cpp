// Placeholder so a layer with no sources yet still builds as a library.
