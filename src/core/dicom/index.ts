export { isDicom, readDicomHeader, type DicomHeader } from "./header";
export { anyDicom, groupDicomSeries, orientationLabel, seriesOrientation, seriesScanName, type DicomGrouping, type DicomInput, type DicomSeries, type Plane, type SeriesOrientation } from "./series";
export { convertSeries, DCM2NIIX_ARGS, DicomError, scanFromConversion, type ConvertedScan, type Dcm2niixOutput, type Dcm2niixRun } from "./convert";
